"""Numbers in notebook prose answer to code (issue 12): every number the markdown of notebooks 01, 02
and 05 states appears in an ``assert`` of the same notebook, so that running the notebook (as
tests/test_notebooks.py does) fails when the data no longer say it. Citations (arXiv ids, years,
table, figure and section numbers), model names and code in backticks are not stated numbers.
"""

from __future__ import annotations

import ast
import re

import jupytext
import pytest

from conftest import ROOT

CHECKED = ["01_coverage", "02_power_law_fit", "03_bon_vs_beam", "04_compute_optimal", "05_flops"]

_NUMBER = re.compile(r"(?<![\w.@\-/^])[-−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?(?:\^\{?-?\d+\}?)?[KMBT]?(?![\w])")
_SI = {"K": "e3", "M": "e6", "B": "e9", "T": "e12"}
_NOT_STATED = [
    re.compile(r"`[^`]*`"),  # code and formulas
    re.compile(r"arXiv:\d+\.\d+"),
    re.compile(r"\b(?:Tables?|Figs?\.|Figures?|Sec\.|Sections?|Eq\.|[Nn]otebooks?)\s*\d+(?:[./,-]\s*\d+)*"),
    re.compile(r"(?:et al\.|\w+ & \w+|\w+ et al\.,?)\s*(?:19|20)\d\d\w?"),  # author-year citations
    re.compile(r"\b\d+:\d+\b"),  # journal volume:page
    re.compile(r"^#+\s*\d+(?:\.\d+)?\s*[·.]?", re.MULTILINE),  # section numbering
    re.compile(r"\(\w[\w .&]*,? (?:19|20)\d\d\)"),  # (Green & Swets 1966)
    re.compile(r"-?\b\d+(?:\.\d+)?[MB]\b(?=\s*(?:model|\())"),  # a model named by its size: "the 3B model", "-1B ("
    re.compile(r"\bGemma[- ]\d+[- ]\d+[MB]\b"),  # the kit's second model by name: "Gemma 3 270M"
]


def normalise(token: str) -> str:
    """A stated or asserted number as its value (``repr(float)``), sign dropped: "0.30", "0.3" and "3e-1" are one."""
    token = token.replace("−", "-").replace(",", "").lstrip("-").rstrip("%")
    token = re.sub(r"\^\{?(-?\d+)\}?", r"**\1", token)  # 10^4 -> 10**4
    token = token[:-1] + _SI[token[-1]] if token[-1:] in _SI else token  # 299.9B -> 299.9e9
    base, _, power = token.partition("**")
    return repr(abs(float(base) ** float(power) if power else float(base)))


def stated_numbers(markdown: str) -> set[str]:
    for pattern in _NOT_STATED:
        markdown = pattern.sub(" ", markdown)
    return {normalise(t) for t in _NUMBER.findall(markdown)}


def _computed(node: ast.AST) -> bool:
    """Whether an expression reads something computed (a name, attribute, call or subscript), not only literals."""
    return any(isinstance(n, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) for n in ast.walk(node))


def _number(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return normalise(repr(node.value))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and all(isinstance(x, ast.Constant) for x in (node.left, node.right)):
        return normalise(f"{node.left.value}**{node.right.value}")  # 10**4
    return None


_MODULES = {"np", "numpy", "math", "pd", "scipy"}


def _reads_data(call: ast.Call) -> bool:
    """A method of a computed value (``x.between(0.1, 0.5)``), not a module's function of literals."""
    f = call.func
    return isinstance(f, ast.Attribute) and not (isinstance(f.value, ast.Name) and f.value.id in _MODULES) and _computed(f.value)


def checks(code: str) -> dict[str, list[str]]:
    """Which numbers each assert checks: number -> the asserts (source) in which it is compared with, or
    passed beside, something computed. A number an assert holds only among literals (``assert 0.5 < 1``,
    or a dict of constants) checks nothing, and a number outside any assert is not checked."""
    out: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Assert):
            continue
        where = ast.get_source_segment(code, node) or ""
        for part in ast.walk(node.test):
            if isinstance(part, ast.Compare):
                sides = [part.left, *part.comparators]
            elif isinstance(part, ast.Call):
                sides = [*part.args, *(k.value for k in part.keywords)]
            else:
                continue
            if not (any(_computed(x) for x in sides) or (isinstance(part, ast.Call) and _reads_data(part))):
                continue
            for side in sides:
                for leaf in ast.walk(side):
                    number = _number(leaf)
                    if number is not None:
                        out.setdefault(number, []).append(where)
                        if isinstance(leaf, ast.BinOp):
                            break
    return out


def asserted_numbers(code: str) -> set[str]:
    """The numbers some assert checks (:func:`checks`)."""
    return set(checks(code))


def test_every_assert_reads_something_computed():
    """No assert may check only a constant."""
    for name in CHECKED:
        code = "\n".join(c.source for c in jupytext.read(ROOT / "notebooks" / "src" / f"{name}.py", fmt="py:percent").cells
                         if c.cell_type == "code")
        idle = [ast.get_source_segment(code, n) for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Assert) and not _computed(n.test)]
        assert not idle, f"{name}: asserts that read nothing computed: {idle}"


@pytest.mark.parametrize("name", CHECKED)
def test_every_number_in_the_prose_is_asserted_in_the_notebook(name):
    cells = jupytext.read(ROOT / "notebooks" / "src" / f"{name}.py", fmt="py:percent").cells
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    asserted = asserted_numbers(code)
    missing = {}
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown":
            loose = sorted(stated_numbers(cell.source) - asserted)
            if loose:
                missing[f"cell {i}: {cell.source.splitlines()[0][:60]}"] = loose
    assert not missing, f"{name}: numbers stated in the prose but asserted nowhere in the notebook: {missing}"


def test_the_scanner_finds_numbers_and_skips_citations():
    text = ("Kaplan's count is 1.6 % lower (arXiv:2407.21787, Table 3; Brown et al. 2024); pythia-12b "
            "draws 10^4 samples, `exp(a k^b)`, 1,200 tokens, pass@1 of 0.31 (Green & Swets 1966), 299.9B tokens.")
    assert stated_numbers(text) == {"1.6", "10000.0", "1200.0", "0.31", "299900000000.0"}
    assert stated_numbers("Gemma 3 270M solves 17, SmolLM2-135M 9") == {"17.0", "9.0"}
    assert asserted_numbers("assert round(x, 1) == 1.6\nassert n == 10**4 and t == 1_200\ny = 0.31") == {"1.0", "1.6", "10000.0", "1200.0"}
    # a number only beside other literals, or in an assignment after an assert, is checked by nothing
    assert asserted_numbers("if ok:\n    assert x > 0\n    stated = {'a': 0.16}\nassert 0.5 < 1") == {"0.0"}
    assert checks("assert close(d, 'ahead', 0.16)")["0.16"] == ["assert close(d, 'ahead', 0.16)"]
    assert asserted_numbers("assert t.between(0.001, 0.005).all()\nassert np.isclose(0.2, 0.2)") == {"0.001", "0.005"}
