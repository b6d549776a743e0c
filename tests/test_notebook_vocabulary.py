"""Conclusions are rendered, not typed (issue 30; STYLE.md, "Notebooks").

1. The markdown a person wrote asks the question and explains the method: it carries no verdict,
   comparative or causal word ("ahead", "steeper", "reproduces", "because", ...). Those words appear
   only in findings the package renders (``ttslib.findings``, ``ttslib.references``) into code-cell
   outputs. A short allow-list keeps the phrases that describe a method ("lower bound", "best-of-N").
2. What an assert checks is read as ``tests/test_notebook_numbers.py`` reads it: an assert must read
   something the notebook computed, not only its parameters and literals (``assert N_BOOT >= 1000``
   checks a setting, not a claim).
3. A claim is checked on whatever data the notebook runs on: no assert runs only when a parameter
   still holds its shipped default (``if DATA_DIR == "../data": assert ...``).
"""

from __future__ import annotations

import ast
import builtins
import re

import jupytext
import pytest

from conftest import ROOT

NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))

VERDICT_WORDS = re.compile(
    r"\b(ahead|behind|beats?|beaten|better|worse|worst|steeper|shallower|flatter|higher|lower|faster|slower|"
    r"outperform\w*|wins?|winning|reproduces?|reproduced|agrees?|agreement|confirms?|confirmed|plateaus?|plateaued|"
    r"saturates?|saturated|because|exceeds?|surpass\w*|dominates?|superior|inferior|more efficient|less efficient|"
    r"rises|falls|grows|steepens|levels off|catches up|overtakes?)\b",
    re.IGNORECASE,
)
# Phrases that name a method or an axis, not a verdict. Keep this list short: each entry says why.
ALLOWED = [
    r"\blower (?:and|or) upper\b", r"\bupper (?:and|or) lower\b",  # the ends of an interval
    r"\blower bound\b", r"\blower end\b",  # an interval's end, or the smallest of a range
    r"\bhigher is better\b", r"\blower is better\b",  # an axis direction in a figure caption
    r"\bwhat this (?:section )?shows\b",  # the heading above a rendered summary
]
_STRIP = [re.compile(r"`[^`]*`"), re.compile(r"\[[^\]]*\]\([^)]*\)"), *(re.compile(p, re.IGNORECASE) for p in ALLOWED)]


def verdict_words(markdown: str) -> list[str]:
    """The verdict, comparative or causal words a markdown text uses outside code spans, links and the allow-list."""
    for pattern in _STRIP:
        markdown = pattern.sub(" ", markdown)
    return [m.group(0) for m in VERDICT_WORDS.finditer(markdown)]


def _cells(name):
    return jupytext.read(ROOT / "notebooks" / "src" / f"{name}.py", fmt="py:percent").cells


def _parameters(cells) -> set[str]:
    """Names the papermill parameters cell sets."""
    names = set()
    for cell in cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return names


_BUILTINS = set(dir(builtins))


def idle_asserts(code: str, parameters: set[str]) -> list[str]:
    """Asserts that read only parameters, builtins and literals: they check a setting, not a result."""
    out = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assert):
            names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
            if not (names - parameters - _BUILTINS):
                out.append(ast.get_source_segment(code, node))
    return out


def shipped_only_asserts(code: str, parameters: set[str]) -> list[str]:
    """Asserts under an ``if`` whose test compares a parameter with a literal (directly, or through a name set so)."""
    tree = ast.parse(code)

    def pins(expr, flags) -> bool:
        for n in ast.walk(expr):
            if isinstance(n, ast.Compare) and any(isinstance(x, ast.Name) and x.id in parameters for x in (n.left, *n.comparators)) \
                    and any(isinstance(x, (ast.Constant, ast.Tuple, ast.List)) for x in (n.left, *n.comparators)):
                return True
            if isinstance(n, ast.Name) and n.id in flags:
                return True
        return False

    flags: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and pins(node.value, flags):
            flags |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp)) and pins(node.test, flags):
            out += [ast.get_source_segment(code, a) for a in ast.walk(node) if isinstance(a, ast.Assert)]
    return out


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_prose_carries_no_verdict_words(name):
    found = {f"cell {i}: {c.source.splitlines()[0][:50]}": words
             for i, c in enumerate(_cells(name)) if c.cell_type == "markdown" and (words := verdict_words(c.source))}
    assert not found, f"{name}: verdict words in hand-written markdown (render them from a finding instead): {found}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_assert_checks_a_result_on_any_data(name):
    cells = _cells(name)
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    parameters = _parameters(cells)
    assert parameters, f"{name}: no papermill parameters cell"
    idle = idle_asserts(code, parameters)
    assert not idle, f"{name}: asserts that check only parameters or literals: {idle}"
    pinned = shipped_only_asserts(code, parameters)
    assert not pinned, f"{name}: asserts that run only while a parameter holds its shipped default: {pinned}"


def test_the_scanners_find_what_they_should():
    assert verdict_words("DVTS is ahead of beam search because it branches; `lower` bound") == ["ahead", "because"]
    assert verdict_words("The interval's lower and upper ends; best-of-N; What this section shows") == []
    assert verdict_words("Beta reproduces the steeper curve") == ["reproduces", "steeper"]
    params = {"N_BOOT", "DATA_DIR", "K"}
    assert idle_asserts("assert N_BOOT >= 1000\nassert K == 10**4 and len(x) == K\nassert 0 < 1", params) == ["assert N_BOOT >= 1000", "assert 0 < 1"]
    code = 'SHIPPED = DATA_DIR == "../data" and K == 5\nif SHIPPED:\n    assert x == 1\nif DATA_DIR == "../data":\n    assert y\nif x:\n    assert z'
    assert shipped_only_asserts(code, params) == ["assert x == 1", "assert y"]
