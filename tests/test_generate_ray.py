"""Generation and search on Ray with real local parts: a local Ray (2 CPUs), llama-cpp-python's
``llama_cpp.server`` on loopback through Ray Data LLM's ``HttpRequestProcessorConfig``, and actors holding the
embedded model. The same run through Ray and directly gives the same table; a Ray worker killed mid-run loses
and repeats nothing; a killed driver resumes; bad input is one clear line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from servers import free_port, start_llama_server
from ttslib.generate import SamplingConfig, generate_samples
from ttslib.generate.base import BackendError
from ttslib.problems import make_arithmetic

ray = pytest.importorskip("ray", reason="Ray is not installed: make test installs ttslib[ray]")

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
    proc = start_llama_server(port, threads=1)
    yield f"http://127.0.0.1:{port}/v1"
    proc.kill()
    proc.wait()


def _direct(url, problems, config):
    from ttslib.generate.openai_http import OpenAIBackend

    return generate_samples(problems, OpenAIBackend(url, "smollm2", n_per_request=1), config, template=TEMPLATE, progress=False)


@pytest.mark.model
def test_the_same_run_through_ray_and_directly_gives_the_same_table(cluster, server):
    from ttslib.generate.ray_data import RayBackend

    problems = make_arithmetic(2, levels=(2, 3), seed=0)
    config = SamplingConfig(n=3, max_tokens=10, temperature=0.8, seed=7)
    direct = _direct(server, problems, config)
    through = generate_samples(problems, RayBackend("smollm2", [server], n_per_request=1), config, template=TEMPLATE, progress=False)
    pd.testing.assert_frame_equal(direct[COLUMNS], through[COLUMNS])


@pytest.mark.model
def test_a_ray_worker_killed_mid_run_loses_and_repeats_nothing(cluster, server, tmp_path):
    from ttslib.generate.ray_data import RayBackend

    problems = make_arithmetic(3, levels=(2, 3), seed=1)
    config = SamplingConfig(n=4, max_tokens=12, temperature=0.8, seed=3)
    killed = []

    def kill_a_worker():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            found = subprocess.run(["pgrep", "-f", "ray::.*Http"], capture_output=True, text=True).stdout.split()
            if found:
                os.kill(int(found[0]), signal.SIGKILL)
                killed.append(found[0])
            time.sleep(0.2)

    threading.Thread(target=kill_a_worker, daemon=True).start()
    table = generate_samples(problems, RayBackend("smollm2", [server], n_per_request=1, batch_size=1), config, template=TEMPLATE,
                             out_dir=tmp_path / "run", problems_per_shard=6, progress=False)
    assert killed, "no Ray HTTP worker was seen to kill"
    assert (table.groupby("problem_id").size() == 4).all() and not table.duplicated(["problem_id", "sample_idx"]).any()
    pd.testing.assert_frame_equal(table[COLUMNS], _direct(server, problems, config)[COLUMNS])


def test_no_cluster_at_the_address_is_one_clear_line():
    from ttslib.generate.ray_data import connect

    if ray.is_initialized():
        pytest.skip("this process already joined a cluster")
    with pytest.raises(BackendError, match="no Ray cluster at '127.0.0.1:1'"):
        connect("127.0.0.1:1")


def test_a_processor_config_the_installed_ray_lacks_is_named(monkeypatch):
    import ray.data.llm

    from ttslib.generate.ray_data import _processor_config

    monkeypatch.delattr(ray.data.llm, "SGLangEngineProcessorConfig", raising=False)
    with pytest.raises(BackendError, match=r"has no ray.data.llm.SGLangEngineProcessorConfig"):
        _processor_config("sglang")
    with pytest.raises(BackendError, match="engine must be one of"):
        _processor_config("tgi")
