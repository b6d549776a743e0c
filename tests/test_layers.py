"""Which part of ttslib may import which (STYLE.md, "The shape of ttslib"), read from the source with ``ast``.

Every import counts, function-local ones included: a cycle hidden inside a function is still a cycle.
A package's ``__init__`` is a module of its own (``ttslib.policy``); ``from ttslib.policy import choose``
imports the submodule ``ttslib.policy.choose``. Each check is shown to fail on a small planted package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATION = ("ttslib.generate", "ttslib.grade", "ttslib.verifiers", "ttslib.search", "ttslib.codegrade", "ttslib.sandbox")
MATHS = ("ttslib.coverage", "ttslib.fit", "ttslib.beta", "ttslib.backtest", "ttslib.selection", "ttslib.flops", "ttslib.registry",
         "ttslib.frontier", "ttslib.exchange", "ttslib.compare", "ttslib.checks", "ttslib.policy", "ttslib.particles", "ttslib.cost")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path, package: str = "ttslib") -> dict[str, Path]:
    """Module name -> file, for every .py under ``root / package``."""
    return {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}


def imports(path: Path, name: str, known) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import statement of a file."""
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package upwards
                pkg = name.split(".") if is_package else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            names = [a.name for a in node.names]
            out.append((base, names, node.lineno))
            out += [(f"{base}.{n}", [], node.lineno) for n in names if f"{base}.{n}" in known]  # submodules
    return out


def graph(root: Path, package: str = "ttslib") -> dict[str, set[str]]:
    """Module -> the package's modules it imports by name. Importing ``a.b.c`` also runs ``a/b/__init__``,
    but a package's ``__init__`` that is still running when its submodules load is how packages work;
    what makes a cycle is a module that takes names from a module that (in turn) needs it."""
    mods = modules(root, package)
    return {name: {t for t, _, _ in imports(path, name, mods) if t in mods} - {name} for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def forbidden(edges: dict[str, set[str]], sources, banned) -> list[tuple[str, str]]:
    """(module, import) pairs where a module under ``sources`` imports one under ``banned``."""
    under = lambda m, prefixes: any(m == p or m.startswith(p + ".") for p in prefixes)  # noqa: E731
    return sorted((m, t) for m, ts in edges.items() if under(m, sources) for t in ts if under(t, banned))


def private_imports(root: Path, folders=("ttslib", "tests", "benchmarks")) -> list[str]:
    """``file:line name`` for every ``from ttslib.x import _y`` (a private name taken from another module).
    A private *module* (``from ttslib import _majority``, ``ttslib/_majority.py``) is the package's own helper,
    as ``from ttslib._majority import f`` is: it is not a name taken from inside another module."""
    mods = modules(root)
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")) if (root / folder).exists() else []:
            name = module_name(path, root)
            for target, names, line in imports(path, name, {}):
                if target.split(".")[0] == "ttslib" and target != name:
                    found += [f"{path.relative_to(root)}:{line} {n}" for n in names
                              if n.startswith("_") and not n.startswith("__") and f"{target}.{n}" not in mods]
    return found


# ---- the rules, on ttslib ------------------------------------------------------------------------------


def test_no_import_cycle_among_ttslib_modules():
    assert cycles(graph(ROOT)) == []


def test_the_policy_imports_no_generation_side_and_no_plotting():
    assert forbidden(graph(ROOT), ("ttslib.policy",), GENERATION + ("ttslib.plotting",)) == []


def test_the_maths_modules_import_no_generation_side_and_no_plotting():
    assert forbidden(graph(ROOT), MATHS, GENERATION + ("ttslib.plotting", "ttslib.strategies", "ttslib.cli", "ttslib.report")) == []


def test_no_private_name_is_imported_from_another_module():
    assert private_imports(ROOT) == []


# ---- each check fails on a planted package ----------------------------------------------------------------


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_a_cycle_through_a_function_local_import_is_found(tmp_path):
    root = plant(tmp_path, {"ttslib/__init__.py": "", "ttslib/a.py": "from ttslib.b import f\n",
                            "ttslib/b.py": "def f():\n    from ttslib import a\n    return a\n", "ttslib/c.py": "import ttslib.a\n"})
    assert cycles(graph(root)) == [["ttslib.a", "ttslib.b"]]


def test_a_cycle_through_a_package_init_and_a_relative_import_is_found(tmp_path):
    root = plant(tmp_path, {"ttslib/__init__.py": "", "ttslib/policy/__init__.py": "from .choose import g\n",
                            "ttslib/policy/choose.py": "from ttslib.policy import h\ng = 1\n"})
    assert cycles(graph(root)) == [["ttslib.policy", "ttslib.policy.choose"]]
    plant(tmp_path, {"ttslib/policy/choose.py": "g = 1\n"})
    assert cycles(graph(root)) == []


def test_a_policy_import_of_generation_or_plotting_is_found(tmp_path):
    root = plant(tmp_path, {"ttslib/__init__.py": "", "ttslib/grade.py": "", "ttslib/plotting/__init__.py": "",
                            "ttslib/policy/__init__.py": "", "ttslib/policy/x.py": "def f():\n    import ttslib.grade\n",
                            "ttslib/fit.py": "from ttslib.plotting import savefig\n"})
    edges = graph(root)
    assert forbidden(edges, ("ttslib.policy",), GENERATION + ("ttslib.plotting",)) == [("ttslib.policy.x", "ttslib.grade")]
    assert forbidden(edges, MATHS, ("ttslib.plotting",)) == [("ttslib.fit", "ttslib.plotting")]


def test_a_private_import_is_found_in_tests_and_benchmarks(tmp_path):
    root = plant(tmp_path, {"ttslib/__init__.py": "", "ttslib/a.py": "_x = 1\n", "ttslib/_helper.py": "",
                            "ttslib/b.py": "from ttslib.a import _x\nfrom ttslib import _helper\n",
                            "tests/test_a.py": "from ttslib.a import _x as y, z\n", "benchmarks/bench.py": "def f():\n    from ttslib.a import _x\n"})
    assert private_imports(root) == ["ttslib/b.py:1 _x", "tests/test_a.py:1 _x", "benchmarks/bench.py:2 _x"]


@pytest.mark.parametrize("text", ["from ttslib.a import x\n", "import ttslib.a\n", "from ttslib.a import __version__\n"])
def test_public_imports_are_not_private(tmp_path, text):
    root = plant(tmp_path, {"ttslib/__init__.py": "", "ttslib/a.py": "", "tests/test_a.py": text})
    assert private_imports(root) == []
