"""Notebooks are tests too: each runs top to bottom (figures to a temporary folder), and each
committed .ipynb holds the cells of its source in notebooks/src/ as jupytext reads them. The
committed notebooks are the executed ones (tools/run_notebooks.py), so outputs are allowed; the
cell sources, types and tags must be the source's."""

from __future__ import annotations

import sys

import jupytext
import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from run_notebooks import execute  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((ROOT / "notebooks" / "src").glob("[0-9][0-9]_*.py"))


def _cells(nb) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, list(c.metadata.get("tags", []))) for c in nb.cells]


def test_every_source_has_its_notebook_and_every_notebook_its_source():
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES], (
        "notebooks/NN_*.ipynb and notebooks/src/NN_*.py must pair one to one: "
        "`.venv/bin/jupytext --sync notebooks/src/NN_name.py` makes the missing .ipynb"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_committed_notebook_has_the_cells_of_its_source(notebook):
    source = ROOT / "notebooks" / "src" / f"{notebook.stem}.py"
    assert source.exists(), f"{notebook.name} has no source {source}"
    committed = _cells(nbformat.read(notebook, as_version=4))
    expected = _cells(jupytext.read(source, fmt="py:percent"))
    differ = [i for i, (a, b) in enumerate(zip(committed, expected)) if a != b]
    assert len(committed) == len(expected) and not differ, (
        f"{notebook.name} has {len(committed)} cells, its source notebooks/src/{source.name} {len(expected)}; "
        f"first differing cell: {(differ or [min(len(committed), len(expected))])[0]}. Rerun it "
        f"(`.venv/bin/python tools/run_notebooks.py {notebook.name[:2]}`) or pair it without running "
        f"(`.venv/bin/jupytext --sync notebooks/src/{source.name}`)"
    )
    first_code = next(c for c in committed if c[0] == "code")
    assert first_code[2] == ["parameters"], "the first code cell must be the papermill parameters cell"


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=[src.stem for src in SOURCES])
def test_notebook_runs_top_to_bottom(source, tmp_path):
    figures = tmp_path / "figures"
    nb = execute(source, tmp_path / f"{source.stem}.ipynb", figures_dir=figures)
    assert not any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    written = sorted(p.name for p in figures.glob("*.png"))
    assert written, f"{source.name} wrote no figure"
    assert all(name.startswith(source.name[:3]) for name in written), f"figure names must start with {source.name[:3]}: {written}"


# Notebooks 01-05 on a table that is not the shipped run: what the README promises
# (`papermill notebooks/NN_*.ipynb out.ipynb -p OWN_SAMPLES other.parquet`). Their asserts about the
# shipped run must stay out of the way; what they compute must still run on the other table.
FAST = {"N_BOOT": 200, "NUM_DRAWS": 200}  # fewer resamples where a notebook states no number of them
OTHER_TABLE_PARAMETERS = {"01_coverage": {"N_BOOT": 200}, "02_power_law_fit": {"N_BOOT": 200, "N_BOOT_SWEEP": 50, "BACKTEST_DRAWS": 3},
                          "03_bon_vs_beam": FAST,
                          "04_compute_optimal": FAST, "05_flops": {}}


@pytest.fixture(scope="module")
def other_table(tmp_path_factory):
    """The shipped arithmetic run cut and shuffled: every other problem, the first 24 samples of each,
    the rows in a random order (so also 200 problems x 24 samples, 20 per level, n up to 12 per half)."""
    from ttslib.data import read_samples, write_samples

    df = read_samples(ROOT / "data" / "arith_smollm2.parquet")
    keep = sorted(df["problem_id"].unique())[::2]
    other = df[df["problem_id"].isin(keep) & (df["sample_idx"] < 24)].sample(frac=1.0, random_state=1)
    return write_samples(other.reset_index(drop=True), tmp_path_factory.mktemp("other") / "arith_half.parquet")


@pytest.fixture(scope="module")
def other_two_models(tmp_path_factory, other_table):
    """The two models' runs cut and shuffled the same way (every other problem, rows in a random order;
    arithmetic: the first 24 samples, as ``other_table``), for the sections on the code runs and on the
    two models: ``{"CODE_SAMPLES": ..., "TWO_MODELS": ...}`` as the notebooks take them."""
    from ttslib.data import read_samples, write_samples
    out = tmp_path_factory.mktemp("other_two")

    def cut(name, path, max_idx=None):
        df = read_samples(ROOT / "data" / path)
        keep = sorted(df["problem_id"].unique())[::2]
        df = df[df["problem_id"].isin(keep) & (df["sample_idx"] < (max_idx or 10**9))].sample(frac=1.0, random_state=2)
        return str(write_samples(df.reset_index(drop=True), out / f"{name}.parquet"))

    code = {"SmolLM2-135M": cut("he_smollm2", "code/humaneval_smollm2.parquet"),
            "gemma-3-270m": cut("he_gemma3", "code/humaneval_gemma3.parquet")}
    arith = {"SmolLM2-135M": str(other_table), "gemma-3-270m": cut("arith_gemma3", "code/arith_gemma3.parquet", 24)}
    return {"CODE_SAMPLES": code, "TWO_MODELS": {"arithmetic": arith, "HumanEval": code}}


TWO_MODEL_PARAMETERS = {"01_coverage": ["CODE_SAMPLES"], "02_power_law_fit": ["CODE_SAMPLES"],
                        "03_bon_vs_beam": ["CODE_SAMPLES"], "04_compute_optimal": [], "05_flops": ["TWO_MODELS"]}


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(OTHER_TABLE_PARAMETERS))
def test_notebook_runs_on_another_table(stem, other_table, other_two_models, tmp_path):
    source = ROOT / "notebooks" / "src" / f"{stem}.py"
    assert source.is_file(), source
    figures = tmp_path / "figures"
    two = {name: other_two_models[name] for name in TWO_MODEL_PARAMETERS[stem]}
    nb = execute(source, tmp_path / f"{stem}.ipynb", figures_dir=figures,
                 parameters={"OWN_SAMPLES": str(other_table)} | two | OTHER_TABLE_PARAMETERS[stem])
    assert not any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    text = "\n".join(o.get("text", "") if o.output_type == "stream" else str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # each notebook's account of the table it was given: 200 problems x 24 samples (04: two halves of 12)
    expected = {"01_coverage": "arith_half", "02_power_law_fit": "of 200", "03_bon_vs_beam": "200 x 24",
                "04_compute_optimal": "200 x (12 + 12)", "05_flops": "200 x 24"}[stem]
    assert expected in text, f"{stem}: no output mentions {expected!r}"
    assert sorted(p.name for p in figures.glob("*.png")), f"{stem} wrote no figure"


@pytest.mark.slow
def test_adaptive_notebook_runs_on_another_table_without_token_confidence(other_table, tmp_path):
    """Notebook 06 on a table a researcher brings: the shuffled half of the arithmetic run, which has no
    token confidence, so every rule but DeepConf is replayed and the overview says it was not recorded."""
    source = ROOT / "notebooks" / "src" / "06_adaptive_budgets.py"
    figures = tmp_path / "figures"
    nb = execute(source, tmp_path / "06.ipynb", figures_dir=figures,
                 parameters={"POOLS": {"half of the arithmetic run": str(other_table)}, "NUM_ORDERS": 200, "N_BOOT": 200})
    assert not any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    text = "\n".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("data", {}).get("text/markdown", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "200 x 24" in text and "not recorded" in text
    assert "no pool with token confidence" in text
    assert sorted(p.name for p in figures.glob("06_*.png")) == ["06_by_difficulty.png", "06_frontier.png"]


@pytest.mark.slow
def test_sequential_notebook_gives_the_same_numbers_on_its_tables_shuffled(tmp_path):
    """Notebook 07 on its own tables with the rows in a random order: every output equals the committed notebook's,
    so nothing it states depends on row order."""
    import nbformat

    from ttslib.data import read_samples, write_samples

    source = ROOT / "notebooks" / "src" / "07_sequential_vs_parallel.py"
    parameters = {}
    for name, path in {"REPAIR": "revise/humaneval_repair_gemma3.parquet", "REPAIR_POOL": "code/humaneval_gemma3.parquet",
                       "FORCING": "forcing/chains_smollm2.parquet"}.items():
        df = read_samples(ROOT / "data" / path).sample(frac=1.0, random_state=4)
        parameters[name] = str(write_samples(df.reset_index(drop=True), tmp_path / f"{name}.parquet"))
    parameters["REVISIONS"] = {}
    for fb, path in {"none": "revise/chains_blind_smollm2.parquet", "checker": "revise/chains_checker_smollm2.parquet"}.items():
        df = read_samples(ROOT / "data" / path).sample(frac=1.0, random_state=5)
        parameters["REVISIONS"][fb] = str(write_samples(df.reset_index(drop=True), tmp_path / f"rev_{fb}.parquet"))
    nb = execute(source, tmp_path / "07.ipynb", figures_dir=tmp_path / "figures", parameters=parameters)
    committed = nbformat.read(ROOT / "notebooks" / "07_sequential_vs_parallel.ipynb", as_version=4)

    def outputs(book):  # what each cell printed or showed, but where it wrote a figure (the figures directory differs)
        return [[str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in c.outputs
                 if "PosixPath(" not in str(o.get("data", {}).get("text/plain", ""))]
                for c in book.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
                and "injected-parameters" not in c.metadata.get("tags", [])]

    ours, theirs = outputs(nb), outputs(committed)
    assert len(ours) == len(theirs)
    differ = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    assert not differ, f"code cell {differ[0]} differs on shuffled tables:\n{ours[differ[0]]}\n---\n{theirs[differ[0]]}"
