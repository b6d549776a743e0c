"""Numbers in notebook prose answer to code (issue 12): every number the markdown of notebooks 01, 02
and 05 states appears in an ``assert`` of the same notebook, so that running the notebook (as
tests/test_notebooks.py does) fails when the data no longer say it. Citations (arXiv ids, years,
table, figure and section numbers), model names and code in backticks are not stated numbers.
"""

from __future__ import annotations

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
]


def normalise(token: str) -> str:
    token = token.replace("−", "-").replace(",", "").lstrip("-").rstrip("%")
    token = re.sub(r"\^\{?(-?\d+)\}?", r"**\1", token)  # 10^4 -> 10**4
    return token[:-1] + _SI[token[-1]] if token[-1:] in _SI else token  # 299.9B -> 299.9e9


def stated_numbers(markdown: str) -> set[str]:
    for pattern in _NOT_STATED:
        markdown = pattern.sub(" ", markdown)
    return {normalise(t) for t in _NUMBER.findall(markdown)}


def asserted_numbers(code: str) -> set[str]:
    lines, out, inside = code.splitlines(), [], False
    for line in lines:  # assert statements, with their continuation lines
        stripped = line.strip()
        if stripped.startswith("assert "):
            inside = True
        elif inside and not (line.startswith((" ", "\t")) or stripped.startswith((")", "]", "}"))):
            inside = False
        if inside:
            out.append(line.replace("_", ""))
    text = "\n".join(out)
    return {normalise(t) for t in re.findall(r"(?<![\w.])\d[\d]*(?:\.\d+)?(?:e[-+]?\d+)?(?:\*\*-?\d+)?", text)}


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
    assert stated_numbers(text) == {"1.6", "10**4", "1200", "0.31", "299.9e9"}
    assert asserted_numbers("assert round(x, 1) == 1.6\nassert n == 10**4 and t == 1_200\ny = 0.31") == {"1", "1.6", "10**4", "1200"}
