"""Generation and search on Ray with real local parts (issue 35): a local Ray (2 CPUs), llama-cpp-python's
``llama_cpp.server`` on loopback through Ray Data LLM's ``HttpRequestProcessorConfig``, and actors holding the
embedded model. The same run through Ray and directly gives the same table; a Ray worker killed mid-run loses
and repeats nothing; a killed driver resumes; a resume that changes a setting Ray runs with is refused; bad
input is one clear line."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from conftest import ROOT, kill_after_shards
from servers import free_port, start_llama_server
from ttslib.data import read_samples
from ttslib.generate import SamplingConfig, generate_samples
from ttslib.generate.base import BackendError
from ttslib.generate.rundir import RunMismatch
from ttslib.problems import make_arithmetic, make_chains

ray = pytest.importorskip("ray", reason="Ray is not installed: make test installs ttslib[ray]")
pytestmark = pytest.mark.xdist_group("ray")  # one pytest worker runs them all: one local cluster and one server, not two

TEMPLATE = "Q: {question}\nA:"
COLUMNS = ["problem_id", "sample_idx", "completion", "num_completion_tokens", "num_prompt_tokens", "finish_reason", "is_correct"]


@pytest.fixture(scope="module")
def cluster():
    from ttslib.generate.ray_data import connect

    connect(num_cpus=2)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_llama_server(port, threads=1, n_batch=1)  # the same samples whatever order requests arrive in
    yield f"http://127.0.0.1:{port}/v1"
    proc.kill()
    proc.wait()


def _direct(url, problems, config):
    from ttslib.generate.openai_http import OpenAIBackend

    return generate_samples(problems, OpenAIBackend(url, "smollm2", n_per_request=1), config, template=TEMPLATE, progress=False)


def _killer(pattern: str, killed: list, timeout: float = 120):
    """SIGKILL the first process whose command line matches ``pattern`` (a Ray worker), once."""
    def kill():
        deadline = time.time() + timeout
        while time.time() < deadline and not killed:
            found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
            if found:
                os.kill(int(found[0]), signal.SIGKILL)
                killed.append(found[0])
            time.sleep(0.1)
    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


@pytest.mark.model
def test_the_same_run_through_ray_and_directly_gives_the_same_table(cluster, server, tmp_path):
    """Greedy and sampled (T = 0.8, each request sent its seed), the two tables are identical (the server decodes a
    token at a time: ``servers.start_llama_server``)."""
    from ttslib.generate.ray_data import RayBackend

    problems = make_arithmetic(2, levels=(2, 3), seed=0)
    greedy = SamplingConfig(n=2, max_tokens=10, temperature=0.0, seed=7)
    through = generate_samples(problems, RayBackend("smollm2", [server], n_per_request=1), greedy, template=TEMPLATE,
                               out_dir=tmp_path / "run", progress=False)
    pd.testing.assert_frame_equal(_direct(server, problems, greedy)[COLUMNS], through[COLUMNS])
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["backend"] == "ray" and manifest["backend_settings"] == {"engine": "http", "model": "smollm2", "n_per_request": 1}
    assert len(manifest["facts"]["shards"]) == 4  # one shard a problem, each written by the driver as its samples came back
    sampled = SamplingConfig(n=4, max_tokens=10, temperature=0.8, seed=7)
    direct = _direct(server, problems, sampled)
    ray_table = generate_samples(problems, RayBackend("smollm2", [server], n_per_request=1), sampled, template=TEMPLATE, progress=False)
    pd.testing.assert_frame_equal(direct[COLUMNS], ray_table[COLUMNS])
    assert direct.groupby("problem_id")["completion"].nunique().max() > 1  # the seeds differ between a problem's samples


@pytest.mark.model
def test_two_servers_through_ray_give_the_table_of_one(cluster, server, tmp_path):
    """The requests dealt over two servers (one processor each) come back matched to their prompts."""
    from ttslib.generate.ray_data import RayBackend

    port = free_port()
    second = start_llama_server(port, threads=1, n_batch=1)
    try:
        problems = make_arithmetic(2, levels=(2,), seed=4)
        config = SamplingConfig(n=3, max_tokens=8, temperature=0.8, seed=1)
        two = generate_samples(problems, RayBackend("smollm2", [server, f"http://127.0.0.1:{port}/v1"], n_per_request=1), config,
                               template=TEMPLATE, progress=False)
    finally:
        second.kill()
        second.wait()
    pd.testing.assert_frame_equal(two[COLUMNS], _direct(server, problems, config)[COLUMNS])


@pytest.mark.model
@pytest.mark.slow
def test_a_ray_worker_killed_mid_run_loses_and_repeats_nothing(cluster, server, tmp_path):
    from ttslib.generate.ray_data import RayBackend

    problems = make_arithmetic(3, levels=(2, 3), seed=1)
    config = SamplingConfig(n=4, max_tokens=12, temperature=0.8, seed=3)
    killed: list = []
    _killer("ray::MapWorker.*HttpRequestUDF", killed)
    table = generate_samples(problems, RayBackend("smollm2", [server], n_per_request=1, batch_size=1), config, template=TEMPLATE,
                             out_dir=tmp_path / "run", problems_per_shard=2, progress=False)
    assert killed, "no Ray HTTP worker was seen to kill"
    assert (table.groupby("problem_id").size() == 4).all() and not table.duplicated(["problem_id", "sample_idx"]).any()
    pd.testing.assert_frame_equal(table[COLUMNS], _direct(server, problems, config)[COLUMNS])


@pytest.mark.model
def test_a_resume_that_changes_how_requests_are_split_is_refused(cluster, server, tmp_path):
    """``n_per_request`` decides each request's seed (problem seed + request index): a resume under another is refused."""
    from ttslib.generate.ray_data import RayBackend

    problems = make_arithmetic(1, levels=(2,), seed=2)
    config = SamplingConfig(n=2, max_tokens=6, temperature=0.8, seed=0)
    generate_samples(problems, RayBackend("smollm2", [server], n_per_request=1), config, template=TEMPLATE, out_dir=tmp_path, progress=False)
    with pytest.raises(RunMismatch, match="n_per_request"):
        generate_samples(problems, RayBackend("smollm2", [server], n_per_request=2), config, template=TEMPLATE, out_dir=tmp_path,
                         progress=False)


def _cli(*args):
    return [sys.executable, "-m", "ttslib.cli", *args]


@pytest.mark.model
@pytest.mark.slow
def test_a_killed_driver_resumes_from_its_finished_shards(cluster, server, tmp_path):
    """The drivers join this process's cluster (a second local cluster on a loaded core overran Ray's start-up wait)."""
    out = tmp_path / "run"
    address = ray.get_runtime_context().gcs_address
    cmd = _cli("generate", "--backend", "ray", "--ray-address", address, "--model", "smollm2", "--base-url", server, "--n-per-request", "1",
               "--problems", "arith", "--per-level", "1", "--n", "2", "--max-tokens", "6", "--seed", "5", "--out", str(out))
    with open(tmp_path / "driver.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        left = kill_after_shards(proc, out, 2, timeout=600)
    said = (tmp_path / "driver.log").read_text()[-1500:]
    assert 2 <= left < 10, f"the driver should have been killed midway; it left {left} shards; it said: {said}"
    assert not (out / "samples.parquet").exists()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "shards").glob("[0-9]*.parquet")}
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    table = read_samples(out / "samples.parquet")
    assert len(table) == 10 * 2 and not table.duplicated(["problem_id", "sample_idx"]).any()
    assert all((out / "shards" / name).stat().st_mtime_ns == t for name, t in before.items()), "a finished shard was made again"
    clean = _cli("generate", "--backend", "openai", "--model", "smollm2", "--base-url", server, "--n-per-request", "1",
                 "--problems", "arith", "--per-level", "1", "--n", "2", "--max-tokens", "6", "--seed", "5", "--out", str(tmp_path / "direct"))
    subprocess.run(clean, cwd=ROOT, check=True, capture_output=True, timeout=600)
    pd.testing.assert_frame_equal(table[COLUMNS], read_samples(tmp_path / "direct" / "samples.parquet")[COLUMNS])


def test_no_cluster_at_the_address_is_one_clear_line(tmp_path):
    """Run in a process of its own, since a process that joined a cluster keeps it."""
    done = subprocess.run(_cli("generate", "--backend", "ray", "--model", "m", "--base-url", "http://127.0.0.1:9/v1",
                               "--ray-address", "127.0.0.1:1", "--per-level", "1", "--limit", "1", "--out", str(tmp_path / "run")),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: no Ray cluster at '127.0.0.1:1'"), done.stderr[-1500:]
    assert "Traceback" not in done.stderr


def test_a_processor_config_the_installed_ray_lacks_is_named(monkeypatch):
    import ray.data.llm

    from ttslib.generate.ray_data import processor_config

    monkeypatch.delattr(ray.data.llm, "vLLMEngineProcessorConfig")
    with pytest.raises(BackendError, match=r"has no ray.data.llm.vLLMEngineProcessorConfig"):
        processor_config("vllm")
    with pytest.raises(BackendError, match="engine must be one of"):
        processor_config("tgi")


@pytest.mark.parametrize("args, says", [
    (["generate", "--backend", "ray", "--base-url", "http://127.0.0.1:9/v1"], "needs --model"),
    (["generate", "--backend", "ray", "--model", "m"], "give --base-url"),
    (["generate", "--backend", "ray", "--model", "m", "--ray-engine", "vllm", "--base-url", "http://127.0.0.1:9/v1"], "--base-url is for"),
    (["revise", "--backend", "ray"], "runs `ttslib generate` and `ttslib search`"),
    (["force", "--backend", "ray"], "runs `ttslib generate` and `ttslib search`"),
])
def test_the_cli_says_what_the_ray_backend_needs(args, says, tmp_path):
    from typer.testing import CliRunner

    from ttslib.cli import app

    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and says in result.output, result.output


def test_the_vllm_engine_rows_carry_the_kits_request_and_give_a_completion():
    """The conversion to and from vLLM's engine stage: its SamplingParams carry the request's seed and settings, and
    its output becomes a completions body the one parser reads (log-probabilities of the sampled tokens)."""
    from ttslib.generate.openai_http import completion_request
    from ttslib.generate.ray_data import engine_request, engine_response

    config = SamplingConfig(n=1, max_tokens=3, temperature=0.7, top_p=0.9, stop=("\n",), seed=0)
    row = engine_request({"id": 4, "body": json.dumps(completion_request("m", "2 + 2 =", config, 41, 1))})
    assert row["prompt"] == "2 + 2 =" and row["sampling_params"] == {"n": 1, "temperature": 0.7, "top_p": 0.9, "max_tokens": 3,
                                                                     "seed": 41, "logprobs": 1, "stop": ["\n"]}
    out = {"id": 4, "max_tokens_asked": 3, "generated_text": " 4", "generated_tokens": [604], "num_input_tokens": 5,
           "logprobs": [{"604": {"logprob": -0.25, "rank": 1}, "12": {"logprob": -2.0, "rank": 2}}]}
    body = json.loads(engine_response(out)["response"])
    assert body["choices"][0]["logprobs"]["token_logprobs"] == [-0.25] and body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 5, "completion_tokens": 1}
    full = json.loads(engine_response(out | {"generated_tokens": [604, 12, 9], "logprobs": [{604: {"logprob": -0.25}},
                                                                                              {12: {"logprob": -1.0}}, {9: {"logprob": -0.5}}]})["response"])
    assert full["choices"][0]["finish_reason"] == "length" and full["choices"][0]["logprobs"]["token_logprobs"] == [-0.25, -1.0, -0.5]
    missing = json.loads(engine_response(out | {"logprobs": None})["response"])
    assert missing["choices"][0]["logprobs"] is None  # prompt_result then says the kit needs them


# ---------------------------------------------------------------- search on a pool of actors

def _noisy(backend=None):
    """The noisy step checker (AUC 0.8, seed 0), made by the CLI's own function, which an actor can import."""
    from ttslib.cli import VerifierKind, cli_verifier

    return cli_verifier(VerifierKind.noisy, 0.8, 0, backend)


def _make_noisy():
    from ttslib.cli import VerifierKind, cli_verifier

    return functools.partial(cli_verifier, VerifierKind.noisy, 0.8, 0)


def _search_args():
    from ttslib.generate import PROMPTS
    from ttslib.search import SearchConfig

    style = PROMPTS["chain_fewshot"]
    config = SearchConfig(method="beam_search", n=4, beam_width=2, max_steps=3, max_step_tokens=12, seed=0)
    return config, dict(template=style.template, delimiter=style.step_delimiter, grade_style=style.grade_style, progress=False,
                        problems_per_shard=1)


SEARCH_COLUMNS = ["problem_id", "sample_idx", "completion", "score", "is_correct", "search_rounds", "search_generated_tokens"]


@pytest.mark.model
@pytest.mark.slow
def test_search_on_two_actors_gives_the_direct_table_even_when_an_actor_dies(cluster, tmp_path):
    from ttslib.generate import make_backend
    from ttslib.search import run_search
    from ttslib.search.ray_actors import SearchActors

    problems = make_chains(1, seed=0).head(4)
    config, kw = _search_args()
    make = functools.partial(make_backend, "llama", None, n_threads=1)
    direct = run_search(problems, make(), _noisy(), config, **kw)
    pool = SearchActors(make, _make_noisy(), actors=2, actor_cpus=0.5)
    assert pool.settings()["actor_backend"] == "llama.cpp"
    calm = run_search(problems, pool, pool.verifier, config, **kw)
    pd.testing.assert_frame_equal(direct[SEARCH_COLUMNS], calm[SEARCH_COLUMNS])
    killed: list = []
    _killer("ray::_Worker.rows", killed)
    stormy = run_search(problems, pool, pool.verifier, config, out_dir=tmp_path / "run", **kw)
    assert killed, "no search actor was seen to kill"
    pd.testing.assert_frame_equal(direct[SEARCH_COLUMNS], stormy[SEARCH_COLUMNS])
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["backend"] == "ray" and manifest["backend_settings"]["actor_backend"] == "llama.cpp"
    assert manifest["verifier"] == _noisy().name


@pytest.mark.model
def test_a_search_resume_checks_what_the_actors_hold_not_how_many(cluster, server, tmp_path):
    """What the actors hold is in the manifest, and a resume whose actors hold another backend is refused; how many
    actors there are and what each reserves is not, and a resume on more actors reserving other CPUs goes on."""
    from ttslib.generate import make_backend
    from ttslib.search import run_search
    from ttslib.search.ray_actors import SearchActors

    problems = make_chains(1, seed=0).head(1)
    config, kw = _search_args()
    llama = functools.partial(make_backend, "llama", None, n_threads=1)
    one = SearchActors(llama, _make_noisy(), actors=1, actor_cpus=0.5)
    run_search(problems, one, one.verifier, config, out_dir=tmp_path, **kw)
    http = SearchActors(functools.partial(make_backend, "openai", "smollm2", base_urls=[server], n_per_request=1), _make_noisy(),
                        actors=1, actor_cpus=0.5)
    with pytest.raises(RunMismatch, match="actor_backend"):
        run_search(problems, http, http.verifier, config, out_dir=tmp_path, **kw)
    ray.kill(http.actors[0])
    ray.kill(one.actors[0])
    two = SearchActors(llama, _make_noisy(), actors=2, actor_cpus=0.25)
    resumed = run_search(problems, two, two.verifier, config, out_dir=tmp_path, **kw)
    assert len(resumed) == config.n
