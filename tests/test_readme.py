"""Every command the README and docs/ show still runs, or at least parses (issue 28, item 6).

The shell commands are read from the fenced code blocks (```bash, ```sh, ```shell, ```console) of
README.md and docs/*.md and checked one by one, by program:

* ``ttslib``: ``--help`` and ``ttslib summary`` on a file that exists run for real; every other
  subcommand is parsed by click (``make_context``) against the current command line, so a renamed
  or removed option, a value of the wrong type or a missing argument fails, without running anything;
* ``make``: each target is in the Makefile, each ``VAR=value`` a variable the Makefile reads;
* ``python`` / ``python -m``: the script exists and names each ``--option`` given (``--help`` runs),
  the module is importable; ``pytest``, ``jupytext``, ``bash``: the files named exist, a script names
  each option given; ``papermill``: its own parser takes the options, the notebook exists and each
  ``-p NAME`` is in its ``parameters`` cell; ``pip``: the requirement specifiers parse, the extras
  exist, the files named exist; ``mamba``/``conda env create -f``: the file exists;
* an environment variable set in front of a command or by ``export`` is read somewhere in the kit.

A program not listed fails the test, and so does a fenced block without a language, so that new
docs stay checked. ```python blocks must parse and every name they import from ttslib must exist.
Relative links between the pages must reach a file and, with ``#anchor``, one of its headings.
The self-tests at the end plant a wrong option, target, parameter and program, and check each fails.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import click
import nbformat
import pytest
import typer
import typer.main
from packaging.requirements import Requirement
from typer.testing import CliRunner

from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 100  # two screens

SHELL = {"bash", "sh", "shell", "console"}
NOT_COMMANDS = {"text", "toml", "yaml", "json", "csv", "ini", "diff", "python"}  # python: checked apart
SEPARATORS = {"&&", "||", ";", "|", "&"}
REDIRECTS = {">", ">>", "<", "2>", "&>"}
SHELL_BUILTINS = {"cd", "sleep", "kill", "echo"}  # accepted as they are
# where an environment variable the docs set must be read
VARIABLE_READERS = ["Makefile", "tools/*", "ttslib/**/*.py", "tests/**/*.py", "benchmarks/*.py"]


@dataclass(frozen=True)
class Command:
    """One simple shell command of a page: where it is (``page:line``), its words and the
    ``VAR=value`` assignments in front of it."""

    where: str
    argv: tuple[str, ...]
    env: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.where}: {shlex.join(self.env + self.argv)}"


@dataclass(frozen=True)
class Block:
    """A fenced code block: its page, the line of its opening fence, its language and its text."""

    page: Path
    line: int
    lang: str
    text: str


def _where(page: Path, line: int) -> str:
    return f"{page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}:{line}"


def fenced_blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order."""
    blocks, fence, body = [], None, []
    for i, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"^\s*(```+|~~~+)\s*([\w+-]*)", line)
        if fence is None and match:
            fence, start, lang, body = match.group(1), i, match.group(2).lower(), []
        elif fence is not None and line.strip().startswith(fence) and not line.strip()[len(fence):].strip():
            blocks.append(Block(page, start, lang, "\n".join(body)))
            fence = None
        elif fence is not None:
            body.append(line)
    if fence is not None:
        raise AssertionError(f"{_where(page, start)}: a code fence is opened and never closed")
    return blocks


def shell_commands(block: Block) -> list[Command]:
    """The simple commands of a shell block: continuation lines joined, comments and a ``$ `` prompt
    dropped, split at ``&&``, ``||``, ``;``, ``|`` and ``&``, redirections dropped."""
    commands, lines = [], block.text.splitlines()
    i = 0
    while i < len(lines):
        start, text = block.line + 1 + i, lines[i]
        while text.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text.rstrip()[:-1] + " " + lines[i]
        i += 1
        text = re.sub(r"^\s*\$\s+", "", text)
        lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        words: list[str] = []
        for token in [*lexer, ";"]:
            if token in SEPARATORS:
                if words:
                    env = []
                    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
                        env.append(words.pop(0))
                    commands.append(Command(_where(block.page, start), tuple(words), tuple(env)))
                words = []
            elif words and words[-1] in REDIRECTS:
                words.pop()  # the redirection and its target
            else:
                words.append(token)
    return commands


# ---- one checker per program: each returns how it checked ("ran" or "parsed") or raises --------------


def _fail(cmd: Command, why: str):
    raise AssertionError(f"{cmd}\n    {why}")


def _exists(cmd: Command, path: str, cwd: Path = ROOT) -> None:
    if "$" in path or path.startswith("~"):
        return  # the reader's own path
    if not (any(cwd.glob(path)) if any(c in path for c in "*?[") else (cwd / path).exists()):
        _fail(cmd, f"{path} does not exist (relative to {cwd})")


def _read_somewhere(cmd: Command, name: str) -> None:
    """``name`` is an environment variable the kit reads (OpenBLAS's and pip's are read by them)."""
    if name.startswith(("OPENBLAS_", "PIP_", "NPY_")):
        return
    files = {p for pattern in VARIABLE_READERS for p in ROOT.glob(pattern) if p.is_file()} - {Path(__file__).resolve()}
    if not any(name in p.read_text(encoding="utf-8", errors="replace") for p in files):
        _fail(cmd, f"the environment variable {name} is read nowhere in {VARIABLE_READERS}")


def _script_options(cmd: Command, script: Path, args) -> None:
    text = script.read_text(encoding="utf-8")
    for arg in args:
        option = arg.split("=", 1)[0]
        if option.startswith("--") and option != "--help" and option not in text:
            _fail(cmd, f"{script.relative_to(ROOT)} has no option {option}")


def check_ttslib(cmd: Command) -> str:
    from ttslib import cli

    args = list(cmd.argv[1:])
    if not args or "--help" in args:
        result = CliRunner().invoke(cli.app, args or ["--help"])
        if result.exit_code != 0:
            _fail(cmd, f"exit code {result.exit_code}: {result.output[-500:]}")
        return "ran"
    group = typer.main.get_command(cli.app)
    if args[0] not in group.commands:
        _fail(cmd, f"ttslib has no subcommand {args[0]!r}; it has {sorted(group.commands)}")
    if args[0] == "summary" and all((ROOT / a).exists() for a in args[1:] if not a.startswith("-")):
        result = CliRunner().invoke(cli.app, args)
        if result.exit_code != 0:
            _fail(cmd, f"exit code {result.exit_code}: {result.output[-500:]}")
        return "ran"
    try:  # parse only: the options, their types and the arguments, as the command line would
        group.commands[args[0]].make_context(f"ttslib {args[0]}", args[1:])
    except typer.TyperException as error:  # typer's click: its usage errors and bad parameters
        _fail(cmd, f"ttslib {args[0]} does not take it: {type(error).__name__}: {error}")
    return "parsed"


def _makefile():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, flags=re.M)) - {".PHONY"}
    return targets, text


def check_make(cmd: Command) -> str:
    targets, text = _makefile()
    for arg in cmd.argv[1:]:
        if "=" in arg:
            name = arg.split("=", 1)[0]
            if not re.search(rf"\$[({{]{re.escape(name)}[)}}]", text):
                _fail(cmd, f"the Makefile reads no variable {name}")
        elif arg.startswith("-"):
            _fail(cmd, f"make option {arg}: the docs call targets only")
        elif arg not in targets:
            _fail(cmd, f"the Makefile has no target {arg!r}; it has {sorted(targets)}")
    return "parsed"


def check_python(cmd: Command) -> str:
    args = list(cmd.argv[1:])
    if args[:1] == ["-m"]:
        if importlib.util.find_spec(args[1]) is None:
            _fail(cmd, f"no module {args[1]} to run")
        if args[1] == "pytest":
            return check_pytest(Command(cmd.where, ("pytest", *args[2:]), cmd.env))
        return "parsed"
    if args[:1] == ["-c"]:
        ast.parse(args[1])
        return "parsed"
    script = ROOT / args[0]
    _exists(cmd, args[0])
    _script_options(cmd, script, args[1:])
    if "--help" in args:
        done = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            _fail(cmd, f"--help exits with {done.returncode}: {done.stderr[-500:]}")
        return "ran"
    return "parsed"


def check_pytest(cmd: Command) -> str:
    args, i = list(cmd.argv[1:]), 0
    while i < len(args):
        if args[i] in ("-k", "-m", "-p", "--maxfail"):
            i += 2
            continue
        if not args[i].startswith("-"):
            _exists(cmd, args[i].split("::")[0])
        i += 1
    return "parsed"


def check_files(cmd: Command) -> str:
    """jupytext and friends: every argument that is not an option names a file."""
    for arg in cmd.argv[1:]:
        if not arg.startswith("-"):
            _exists(cmd, arg)
    return "parsed"


def check_bash(cmd: Command) -> str:
    _exists(cmd, cmd.argv[1])
    _script_options(cmd, ROOT / cmd.argv[1], cmd.argv[2:])
    return "parsed"


def notebook_parameters(notebook: Path) -> set[str]:
    """The names its ``parameters`` cell assigns."""
    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if not cells:
        return set()
    tree = ast.parse(cells[0].source)
    return {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}


def check_papermill(cmd: Command) -> str:
    from papermill.cli import papermill as papermill_cli

    try:
        ctx = papermill_cli.make_context("papermill", list(cmd.argv[1:]))
    except click.ClickException as error:
        _fail(cmd, f"papermill does not take it: {error.format_message()}")
    notebook = ctx.params["notebook_path"]
    _exists(cmd, notebook)
    if ctx.params.get("cwd"):
        _exists(cmd, ctx.params["cwd"])
    names = [name for name, _ in ctx.params.get("parameters", ())]
    missing = sorted(set(names) - notebook_parameters(ROOT / notebook))
    if missing:
        _fail(cmd, f"{notebook} has no parameter {missing}; its parameters cell has {sorted(notebook_parameters(ROOT / notebook))}")
    return "parsed"


def check_pip(cmd: Command) -> str:
    args = list(cmd.argv[1:])
    if not args or args[0] not in ("install", "uninstall", "download", "wheel"):
        _fail(cmd, "pip: the docs use install, uninstall, download and wheel")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in ("-r", "--requirement", "-c", "--constraint"):
            _exists(cmd, args[i + 1])
            i += 2
            continue
        if arg in ("--index-url", "--extra-index-url", "-i", "-f", "--find-links"):
            i += 2
            continue
        if arg == "-e":
            path, _, wanted = args[i + 1].partition("[")
            _exists(cmd, path)
            unknown = set(filter(None, wanted.rstrip("]").split(","))) - set(extras)
            if unknown:
                _fail(cmd, f"pyproject.toml has no extra {sorted(unknown)}; it has {sorted(extras)}")
            i += 2
            continue
        if not arg.startswith("-"):
            Requirement(arg)  # raises InvalidRequirement
        i += 1
    return "parsed"


def check_conda(cmd: Command) -> str:
    args = list(cmd.argv[1:])
    if args[:2] == ["env", "create"] and "-f" in args:
        _exists(cmd, args[args.index("-f") + 1])
    elif args[:1] != ["activate"]:
        _fail(cmd, "conda/mamba: the docs use `env create -f FILE` and `activate`")
    return "parsed"


def check_git(cmd: Command) -> str:
    args = list(cmd.argv[1:])
    if args[:1] == ["clone"]:
        return "parsed"
    if args[:1] in (["status"], ["diff"], ["log"]):
        for arg in args[1:]:
            if not arg.startswith("-"):
                _exists(cmd, arg)
        return "parsed"
    _fail(cmd, "git: the docs use clone, status, diff and log")


def check_export(cmd: Command) -> str:
    for arg in cmd.argv[1:]:
        _read_somewhere(cmd, arg.split("=", 1)[0])
    return "parsed"


def check_ray(cmd: Command) -> str:
    """``ray start`` and ``ray stop`` are parsed by Ray's own command line (click), as ``ttslib`` commands are."""
    from ray.scripts.scripts import cli

    args = list(cmd.argv[1:])
    try:
        sub = cli.get_command(cli.make_context("ray", args), args[0]) if args else None
        if sub is None:
            _fail(cmd, f"ray has no command {args[:1]}")
        sub.make_context(args[0], args[1:])
    except click.exceptions.Exit:
        pass
    except click.ClickException as error:
        _fail(cmd, f"ray does not take it: {error.format_message()}")
    return "parsed"


CHECKERS = {
    "ray": check_ray,
    "ttslib": check_ttslib, "make": check_make, "python": check_python, "pytest": check_pytest,
    "papermill": check_papermill, "pip": check_pip, "jupytext": check_files, "bash": check_bash,
    "mamba": check_conda, "conda": check_conda, "git": check_git, "export": check_export,
}


def program(argv0: str) -> str:
    """The program a word names: ``.venv/bin/python`` and ``vllm-env/bin/pip`` are python and pip,
    ``python3.12`` is python."""
    name = argv0.rsplit("/", 1)[-1] if "/bin/" in argv0 or argv0.startswith("bin/") else argv0
    return "python" if re.fullmatch(r"python(3(\.\d+)?)?", name) else name


def check(cmd: Command) -> str:
    """Check one command (see the module docstring); return "ran" or "parsed", or raise AssertionError."""
    argv = cmd.argv[1:] if cmd.argv[:1] == ("sudo",) else cmd.argv
    cmd = Command(cmd.where, argv, cmd.env)
    for assignment in cmd.env:
        _read_somewhere(cmd, assignment.split("=", 1)[0])
    name = program(argv[0])
    if name in SHELL_BUILTINS:
        return "parsed"
    if name not in CHECKERS:
        _fail(cmd, f"tests/test_readme.py cannot check the program {argv[0]!r}: add a checker to CHECKERS "
                   f"(or show it in a ```text block if it is not to be run)")
    return CHECKERS[name](cmd)


def check_python_block(block: Block) -> None:
    """A python block parses, and each name it imports from ttslib exists."""
    where = _where(block.page, block.line)
    try:
        tree = ast.parse(block.text)
    except SyntaxError as error:
        raise AssertionError(f"{where}: a ```python block that does not parse ({error}); "
                             "show a fragment in a ```text block") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "ttslib":
            module = importlib.import_module(node.module)
            missing = [a.name for a in node.names if not hasattr(module, a.name)]
            if missing:
                raise AssertionError(f"{where}: {node.module} has no {missing}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ttslib":
                    importlib.import_module(alias.name)


def blocks_of(pages) -> list[Block]:
    return [block for page in pages for block in fenced_blocks(page)]


def commands_of(pages) -> list[Command]:
    return [cmd for block in blocks_of(pages) if block.lang in SHELL for cmd in shell_commands(block)]


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


# ---- the docs as they are ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fenced_block_says_its_language(page):
    unlabelled = [_where(b.page, b.line) for b in fenced_blocks(page) if b.lang not in SHELL | NOT_COMMANDS]
    assert not unlabelled, (f"fenced blocks without a known language at {unlabelled}: label commands ```bash, "
                            f"code ```python and anything else ```text, so that make test knows what to check")


@pytest.mark.parametrize("cmd", commands_of(PAGES), ids=str)
def test_every_command_in_the_docs_runs_or_parses(cmd):
    assert check(cmd) in ("ran", "parsed")


@pytest.mark.parametrize("block", [b for b in blocks_of(PAGES) if b.lang == "python"],
                         ids=lambda b: _where(b.page, b.line))
def test_every_python_block_parses_and_imports_what_exists(block):
    check_python_block(block)


def test_every_relative_link_reaches_its_page_and_heading():
    broken = []
    for page in PAGES:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md":
                headings = {_slug(h) for h in re.findall(r"^#+\s+(.*)$", dest.read_text(encoding="utf-8"), flags=re.M)}
                if anchor not in headings:
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no heading #{anchor} in {dest.name})")
    assert not broken, f"broken links: {broken}"


def test_the_readme_shows_the_two_commands_and_the_papermill_line_and_fits_two_screens():
    readme = ROOT / "README.md"
    shown = {shlex.join(c.argv) for c in commands_of([readme])}
    assert {"make figures", "make test"} <= shown
    assert any(c.argv[0] == "papermill" and "OWN_SAMPLES" in c.argv for c in commands_of([readme]))
    lines = len(readme.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES}): move details to docs/"


def test_the_cheap_commands_really_run():
    ran = [str(c) for c in commands_of(PAGES) if check(c) == "ran"]
    assert any("ttslib summary data/" in c for c in ran) and any("--help" in c for c in ran), ran


# ---- the checker bites: one planted mistake at a time ------------------------------------------------


def _planted(text: str) -> Command:
    cmds = shell_commands(Block(ROOT / "README.md", 1, "bash", text))
    assert len(cmds) == 1, cmds
    return cmds[0]


@pytest.mark.parametrize("text, why", [
    ("ttslib generate --problems arith --no-such-option 3 --out runs/x/", "No such option"),
    ("ttslib generate --problem arith --out runs/x/", "No such option"),
    ("ttslib search --method beam_search --n sixteen --out runs/x/", "sixteen"),
    ("ttslib search --verifier oracle --out runs/x/", "oracle"),
    ("ttslib regrade --out runs/x.parquet", "MissingParameter"),
    ("ttslib summary data/arith_smollm2.parquet data/gsm8k_smollm2.parquet", "exit code"),
    ("ttslib fly --out runs/x/", "no subcommand"),
    ("make figure", "no target"),
    ("make lock NO_SUCH_FLAGS=--upgrade", "reads no variable"),
    ("papermill --cwd notebooks notebooks/03_bon_vs_beam.ipynb out.ipynb -p OWN_SAMPLE x.parquet", "no parameter"),
    ("papermill --cwd notebooks notebooks/03_bon_vs_beam.ipynb out.ipynb --no-such-flag", "No such option"),
    ("papermill --cwd notebooks notebooks/99_gone.ipynb out.ipynb", "does not exist"),
    (".venv/bin/python tools/run_notebooks.py 05 --figure-dir /tmp/f", "no option --figure-dir"),
    (".venv/bin/python tools/no_such_tool.py", "does not exist"),
    ("python -m no_such_module_anywhere", "no module"),
    ("pytest tests/test_no_such_file.py", "does not exist"),
    ("bash tools/setup_env.sh --with-tensorflow", "no option --with-tensorflow"),
    ('pip install -e ".[gpu]"', "no extra"),
    ("mamba env create -f environment.yaml", "does not exist"),
    ("TTSLIB_NO_SUCH_VARIABLE=1 make test", "read nowhere"),
    ("frobnicate --all", "cannot check the program"),
])
def test_a_planted_mistake_fails(text, why):
    with pytest.raises(AssertionError, match=re.escape(why)):
        check(_planted(text))


def test_the_same_commands_written_right_pass():
    for text in ("ttslib generate --problems arith --n 4 --out runs/x/", "make lock LOCK_FLAGS=--upgrade",
                 "papermill --cwd notebooks notebooks/03_bon_vs_beam.ipynb out.ipynb -p OWN_SAMPLES x.parquet",
                 ".venv/bin/python tools/run_notebooks.py 05 --figures-dir /tmp/f", 'pip install -e ".[vllm]"',
                 "OPENBLAS_CORETYPE=Sandybridge .venv/bin/python tools/run_notebooks.py 02"):
        assert check(_planted(text)) == "parsed", text


def test_a_page_with_a_wrong_option_fails_naming_its_line(tmp_path):
    page = tmp_path / "new.md"
    page.write_text("# New\n\nText.\n\n```bash\nmake test\nttslib search --beam-widht 4 \\\n    --out runs/x/\n```\n")
    cmds = commands_of([page])
    assert [c.argv[:2] for c in cmds] == [("make", "test"), ("ttslib", "search")]
    check(cmds[0])
    with pytest.raises(AssertionError, match=r"new.md:7: ttslib search --beam-widht 4 --out runs/x/"):
        check(cmds[1])


def test_blocks_without_a_language_and_bad_python_are_caught(tmp_path):
    page = tmp_path / "new.md"
    page.write_text("```\nttslib fly\n```\n\n```python\nfrom ttslib.coverage import no_such_function\n```\n")
    blocks = fenced_blocks(page)
    assert [b.lang for b in blocks] == ["", "python"]
    assert blocks[0].lang not in SHELL | NOT_COMMANDS
    with pytest.raises(AssertionError, match="has no \\['no_such_function'\\]"):
        check_python_block(blocks[1])


def test_shell_words_are_split_as_the_shell_splits_them():
    cmds = shell_commands(Block(ROOT / "x.md", 10, "bash",
                                "# a comment\n$ A=1 B='x y' make test && cd x; ls > out.txt  # trailing\n"
                                "python -c 'print(1)' \\\n  | sort &"))
    assert [(c.where, c.argv, c.env) for c in cmds] == [
        ("x.md:12", ("make", "test"), ("A=1", "B=x y")), ("x.md:12", ("cd", "x"), ()),
        ("x.md:12", ("ls",), ()), ("x.md:13", ("python", "-c", "print(1)"), ()), ("x.md:13", ("sort",), ())]
