"""HumanEval offline, and code samples graded by running them (ttslib.problems.load_humaneval,
ttslib.codegrade): the canonical solutions pass every hidden test; a wrong body fails; a sample whose
sampling failed is not run; the docstring examples are a weaker verifier with their own errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ttslib.codegrade import grade_code_table
from ttslib.problems import docstring_examples, load_humaneval
from ttslib.sandbox import Limits, isolation


@pytest.fixture(scope="module")
def humaneval():
    return load_humaneval()


def test_humaneval_loads_offline_with_its_tests_and_examples(humaneval):
    assert len(humaneval) == 164 and humaneval["problem_id"].is_unique
    assert humaneval["tests"].str.contains("def check").all() and humaneval["entry_point"].map(str.isidentifier).all()
    assert (humaneval["examples"].map(len) > 0).sum() == 122 and humaneval["examples"].map(len).sum() == 350
    first = humaneval.iloc[0]
    assert first["problem_id"] == "HumanEval/0" and first["entry_point"] == "has_close_elements"
    assert first["examples"] == ["assert (has_close_elements([1.0, 2.0, 3.0], 0.5)) == False",
                                 "assert (has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)) == True"]


def test_docstring_examples_read_the_usual_spellings_and_skip_what_is_not_literal():
    prompt = ('def f(x):\n    """Doubles.\n    >>> f(2)\n    4\n    >>> f(object())\n    <object>\n\n    f(3) ==> 6\n'
              '    f(a) == 2\n    f(1) should return 2\n    """\n')
    assert docstring_examples(prompt, "f") == ["assert (f(2)) == 4", "assert (f(3)) == 6", "assert (f(1)) == 2"]


def samples_of(problems, bodies, status=None):
    rows = [{"problem_id": pid, "sample_idx": i, "completion": body, "status": "ok"} for i, (pid, body) in enumerate(bodies)]
    df = pd.DataFrame(rows)
    if status is not None:
        df["status"] = status
    return df


def test_canonical_solutions_pass_and_wrong_ones_fail(humaneval):
    bodies = list(zip(humaneval["problem_id"], humaneval["reference"]))
    graded = grade_code_table(samples_of(humaneval, bodies), humaneval)
    assert graded["is_correct"].all() and (graded["verdict"] == "passed").all()
    # the examples: the canonical solutions pass 348 of 350; two are wrong in the docstring itself
    with_examples = humaneval["examples"].map(len) > 0
    rate = graded["score"].to_numpy()
    assert np.isnan(rate[~with_examples.to_numpy()]).all()
    wrong = graded.loc[rate < 1, "problem_id"].tolist()
    assert wrong == ["HumanEval/47", "HumanEval/148"]
    # a body that returns the wrong thing, one that never ends, and one whose sampling failed
    few = humaneval.head(3)
    bad = samples_of(few, [("HumanEval/0", "    return not True\n"), ("HumanEval/1", "    while True:\n        pass\n"),
                           ("HumanEval/2", "    return number % 1.0\n")], status=["ok", "ok", "error: server refused"])
    out = grade_code_table(bad, few, limits=__import__("ttslib.sandbox", fromlist=["Limits"]).Limits(wall_s=1.0, cpu_s=2))
    assert out["verdict"].tolist() == ["failed", "timeout", "not run: sampling failed"]
    assert not out["is_correct"].any() and out["answer"].isna().all()


def test_grading_names_what_is_missing(humaneval):
    with pytest.raises(ValueError, match="problem column"):
        grade_code_table(samples_of(humaneval, [("HumanEval/0", "")]), humaneval.drop(columns="tests"))
    with pytest.raises(ValueError, match="not in the problem set"):
        grade_code_table(samples_of(humaneval, [("HumanEval/999", "")]), humaneval)


# issue 29: a table of nine programs for HumanEval/0 graded pass@1 0.667: five tricks passed and set score to 1.0
TRICKS = [
    "    return False\nimport builtins\n_e = builtins.exec\nbuiltins.exec = lambda c, g=None, *a: None if "
    "getattr(c, 'co_filename', '') in ('tests.py', 'example.py') else _e(c, g, *a)\n",
    "    return False\nimport builtins\n_c = builtins.compile\nbuiltins.compile = lambda s, f, m, *a, **k: _c('pass', f, m)\n",
    "    return False\nimport json, os\njson.dumps = lambda *a, **k: '{\"stage\": \"hidden\", \"error\": null}'\nos.write = lambda fd, b: len(b)\n",
    "    return False\nimport sys\nsys.modules['__main__'].attempt = lambda *a, **k: None\n",
    "    return False\nimport sys, os\ntry:\n    sys.modules['__main__'].report(stage='hidden', error=None)\nexcept Exception:\n    pass\nos._exit(0)\n",
    "    class Yes:\n        def __eq__(self, other):\n            return True\n    return Yes()\n",
]
PROBES = [
    "    import os\n    return bool(os.listdir('/'))\n",  # looks at the files: a wrong answer all the same
    "    import os\n    return 'SECRET' in open(f'/proc/{os.getppid()}/environ').read()\n",
]


def test_the_tampering_table_of_issue_29_grades_only_the_canonical_solution(humaneval):
    p = humaneval.iloc[0]
    bodies = [p["reference"], "    return not False\n", *TRICKS, *PROBES]
    graded = grade_code_table(samples_of(humaneval, [(p["problem_id"], b) for b in bodies]), humaneval.head(1))
    assert graded["is_correct"].tolist() == [True] + [False] * (len(bodies) - 1), graded[["verdict", "verdict_reason"]]
    assert graded["score"].iloc[0] == 1.0 and (graded["score"].iloc[1:] < 1).all()  # the examples too
    assert graded["is_correct"].mean() == pytest.approx(1 / len(bodies))  # was 0.667 on the issue's nine


def test_the_table_records_the_isolation_and_a_missing_completion_is_not_run(humaneval):
    p = humaneval.iloc[0]
    samples = samples_of(humaneval, [(p["problem_id"], p["reference"]), (p["problem_id"], None), (p["problem_id"], float("nan")),
                                     (p["problem_id"], "nan")])
    graded = grade_code_table(samples, humaneval.head(1), limits=Limits(wall_s=2.0, cpu_s=3))
    assert graded["isolation"].tolist() == [isolation(), "", "", isolation()]
    assert graded["verdict"].tolist()[:3] == ["passed", "not run: completion missing", "not run: completion missing"]
    assert graded["status"].tolist() == ["ok", "missing", "missing", "ok"]  # the text "nan" is a program (it fails)
    assert graded["is_correct"].tolist() == [True, False, False, False] and graded["score"].iloc[1:3].isna().all()
    assert graded["verdict"].iloc[3] == "error" and "NameError" in graded["verdict_reason"].iloc[3]


def test_a_code_runs_manifest_records_the_isolation_mode():
    from ttslib.generate.base import SamplingConfig
    from ttslib.generate.run import run_manifest
    from ttslib.problems import make_arithmetic

    backend = type("Backend", (), {"name": "llama.cpp", "model_name": "m"})()
    code = run_manifest(backend, SamplingConfig(), "{question}", "code", make_arithmetic(4, seed=0), 1)
    other = run_manifest(backend, SamplingConfig(), "{question}", "auto", make_arithmetic(4, seed=0), 1)
    assert code["sandbox_isolation"] == isolation() and "sandbox_isolation" not in other
