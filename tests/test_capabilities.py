"""Declared backend capabilities (``ttslib.generate.base``): the code that uses a backend asks its
declaration, every declaration is honest, a missing capability is named, and docs/backends.md says
what the classes declare.

The source check reads the syntax tree of ``ttslib/search``, ``ttslib/verifiers`` and
``ttslib/generate/run.py``: no ``hasattr(...)``, no ``getattr(obj, "literal", ...)``, no
``isinstance``/``issubclass``/``type(x) is`` on a concrete backend, expander or verifier class. It is
run on snippets first, so that it is shown to find each form.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ttslib.generate.base import (
    CAPABILITIES,
    Backend,
    BatchedExtend,
    Completion,
    Forkable,
    HasModelName,
    HasSettings,
    NextTokenLogits,
    PrefixCache,
    PromptResult,
    Resettable,
    SamplingConfig,
    Tokenizer,
    backend_model_name,
    backend_settings,
    declared,
    members,
    require,
    reset_backend,
    supports,
)
from ttslib.generate.llama import LlamaCppBackend
from ttslib.generate.openai_http import OpenAIBackend
from ttslib.generate.ray_data import RayBackend
from ttslib.generate.vllm import VLLMBackend
from ttslib.search import LlamaExpander, SearchConfig, TextExpander, make_expander
from ttslib.search.ray_actors import SearchActors
from ttslib.verifiers import GenerativeJudge, ModelConfidence, NoisyVerifier, QwenMathPRM, RLHFlowPRM, StepChecker, Verifier

ROOT = Path(__file__).resolve().parent.parent
SCANNED = [*sorted((ROOT / "ttslib" / "search").glob("*.py")), *sorted((ROOT / "ttslib" / "verifiers").glob("*.py")),
           ROOT / "ttslib" / "generate" / "run.py"]
CONCRETE_SOURCES = [ROOT / "ttslib" / "generate" / f for f in ("llama.py", "vllm.py", "openai_http.py")] + [
    ROOT / "ttslib" / "search" / "expand.py", *[ROOT / "ttslib" / "verifiers" / f for f in ("checker.py", "model.py", "hub.py")]]
BACKENDS = (LlamaCppBackend, VLLMBackend, OpenAIBackend, RayBackend)
DECLARING = (*BACKENDS, SearchActors, LlamaExpander, TextExpander, StepChecker, NoisyVerifier, ModelConfidence, GenerativeJudge, RLHFlowPRM, QwenMathPRM)


# ---- the source check --------------------------------------------------------------------------------


def concrete_classes() -> set[str]:
    """Names of the classes defined in the backend, expander and verifier modules, protocols left out."""
    names = set()
    for path in CONCRETE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and not any(isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases):
                names.add(node.name)
    return names


def _named(node) -> list[str]:
    """The class names an isinstance target refers to: ``C``, ``mod.C`` or a tuple of them."""
    if isinstance(node, ast.Tuple):
        return [n for elt in node.elts for n in _named(elt)]
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    return []


def guesses(source: str, concrete: set[str]) -> list[str]:
    """Every capability guess in ``source``, as "line N: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            fn, args = node.func.id, node.args
            if fn == "hasattr":
                found.append(f"line {node.lineno}: hasattr")
            elif fn == "getattr" and len(args) >= 2 and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str):
                found.append(f"line {node.lineno}: getattr(..., {args[1].value!r})")
            elif fn in ("isinstance", "issubclass") and len(args) == 2:
                found += [f"line {node.lineno}: {fn}(..., {n})" for n in _named(args[1]) if n in concrete]
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Call) and isinstance(node.left.func, ast.Name) \
                and node.left.func.id == "type":
            found += [f"line {node.lineno}: type(...) is {n}" for c in node.comparators for n in _named(c) if n in concrete]
    return found


def test_the_source_check_finds_each_form_of_guess():
    snippet = textwrap.dedent("""
        if hasattr(backend, "prefill"):
            pass
        name = getattr(verifier, "name", type(verifier).__name__)
        ok = callable(getattr(backend, "next_token_logits", None))
        if isinstance(expander, LlamaExpander) or isinstance(b, (int, expand.TextExpander)):
            pass
        if issubclass(type(b), LlamaCppBackend) or type(b) is OpenAIBackend:
            pass
    """)
    concrete = {"LlamaExpander", "TextExpander", "LlamaCppBackend", "OpenAIBackend"}
    assert guesses(snippet, concrete) == [
        "line 2: hasattr", "line 4: getattr(..., 'name')", "line 5: getattr(..., 'next_token_logits')",
        "line 6: isinstance(..., LlamaExpander)", "line 6: isinstance(..., TextExpander)",
        "line 8: issubclass(..., LlamaCppBackend)", "line 8: type(...) is OpenAIBackend",
    ]
    allowed = textwrap.dedent("""
        value = getattr(self, field)  # a dataclass field by its name
        if isinstance(n, (int, np.integer)) and supports(backend, PrefixCache):
            pass
        name = verifier.name
    """)
    assert guesses(allowed, concrete) == []


def test_the_concrete_classes_are_found():
    concrete = concrete_classes()
    assert {"LlamaCppBackend", "VLLMBackend", "OpenAIBackend", "LlamaExpander", "TextExpander", "StepChecker",
            "GenerativeJudge", "RLHFlowPRM"} <= concrete
    assert "Expander" not in concrete  # a protocol: asking it is asking the declaration


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_capability_is_guessed(path):
    assert guesses(path.read_text(), concrete_classes()) == [], f"{path.relative_to(ROOT)} guesses what an object can do"


# ---- declarations are honest and say what the docs say ------------------------------------------------


def _assigned_on_self(cls) -> set[str]:
    """Attributes the class's own code assigns as ``self.x = ...`` (tuple targets too)."""
    names = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(cls)))):
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                    names.add(t.attr)
    return names


@pytest.mark.parametrize("cls", DECLARING, ids=lambda c: c.__name__)
def test_every_declaration_is_honest(cls):
    """No abstract method is left (a declared method that is missing or renamed makes the class abstract),
    and every declared attribute is set by the class."""
    assert not inspect.isabstract(cls), f"{cls.__name__} lacks {sorted(cls.__abstractmethods__)}"
    protocols = [c for c in cls.__mro__ if c in (*CAPABILITIES, Verifier)]
    wanted = {m for c in protocols for m in members(c)}
    missing = [m for m in sorted(wanted) if m not in dir(cls) and m not in _assigned_on_self(cls)]
    assert missing == [], f"{cls.__name__} declares {[c.__name__ for c in protocols]} but never sets {missing}"


def test_a_renamed_method_breaks_the_declaration():
    """The embedded backend with ``next_token_logits`` renamed: it can no longer be built, so the judge's
    test on the real model fails instead of skipping."""
    namespace = {k: v for k, v in vars(LlamaCppBackend).items() if not k.startswith("__") or k == "__init__"}
    namespace["logits_after"] = namespace.pop("next_token_logits")
    renamed = type(LlamaCppBackend)("Renamed", LlamaCppBackend.__bases__, namespace)
    assert inspect.isabstract(renamed) and set(renamed.__abstractmethods__) == {"next_token_logits"}
    assert NextTokenLogits in declared(LlamaCppBackend) and not inspect.isabstract(LlamaCppBackend)


def _docs_table() -> dict[str, dict[str, str]]:
    """docs/backends.md's capability table: {capability: {column: cell}}."""
    lines = [l for l in (ROOT / "docs" / "backends.md").read_text().splitlines() if l.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = dict(zip(header, cells))
    return rows


def test_the_docs_table_says_what_each_backend_declares():
    table = _docs_table()
    assert list(table) == [c.__name__ for c in CAPABILITIES]
    for cap in CAPABILITIES:
        row = table[cap.__name__]
        assert row["members"] == ", ".join(f"`{m}`" for m in members(cap)), cap.__name__
        for backend in BACKENDS:
            assert row[backend.__name__] == ("yes" if cap in declared(backend) else "no"), (cap.__name__, backend.__name__)


def test_the_docs_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "backends.md").read_text(), flags=re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], "docs/backends.md", "exec"), {})


# ---- the callers ask the declaration ---------------------------------------------------------------


class _Text(Backend):
    name = "text"

    def generate(self, prompts, config, seeds):
        return [PromptResult(1, (Completion("x", (-0.1,), "stop"),) * config.n) for _ in prompts]


class _Handles:  # every method of the cache-resident search, none of them declared
    name = "handles"

    def tokenize(self, text, *, add_bos=True):
        return [1, 2]

    def prefill(self, prompts):
        return list(prompts)

    def release(self, handles):
        pass

    def fork(self, handle, k):
        return [handle] * k

    def extend(self, handles, rngs, *, max_tokens, stop=(), temperature=0.8, top_p=1.0):
        return [Completion("x", (-0.1,), "stop", token_ids=(5,)) for _ in handles]

    def is_eog(self, token):
        return False

    generate = _Text.generate


class _Declared(_Handles, Backend, Tokenizer, PrefixCache, Forkable, BatchedExtend):
    name = "declared"


def test_the_search_picks_its_expander_by_declaration():
    config = SearchConfig(n=2, beam_width=2)
    assert type(make_expander(_Declared(), "\n", config)) is LlamaExpander
    assert type(make_expander(_Handles(), "\n", config)) is TextExpander  # the methods alone are not a declaration
    assert type(make_expander(_Text(), "\n", config)) is TextExpander


def test_a_backend_without_the_cache_is_refused_by_name():
    with pytest.raises(TypeError, match=r"LlamaExpander\) needs a backend that declares Tokenizer \(tokenize\), PrefixCache "
                                        r"\(prefill, release\), Forkable \(fork\), BatchedExtend \(extend, is_eog\); _Text does not"):
        LlamaExpander(_Text(), delimiter="\n", max_step_tokens=4, temperature=0.8, top_p=1.0)

    class HalfStateful(_Handles, Backend, Tokenizer, PrefixCache):  # declares two of the four
        pass

    with pytest.raises(TypeError, match=r"declares Forkable \(fork\), BatchedExtend \(extend, is_eog\); HalfStateful does not"):
        LlamaExpander(HalfStateful(), delimiter="\n", max_step_tokens=4, temperature=0.8, top_p=1.0)
    with pytest.raises(TypeError, match=r"GenerativeJudge.*NextTokenLogits \(next_token_logits\); _Declared does not"):
        GenerativeJudge(_Declared())


def test_model_name_settings_and_reset_come_from_the_declaration():
    class Undeclared(_Text):  # has the members, declares none of them
        model_name = "m-1"
        resets = 0

        def settings(self):
            return {"x": 1}

        def reset(self):
            self.resets += 1

    class Declared(Undeclared, HasModelName, HasSettings, Resettable):
        pass

    plain, full = Undeclared(), Declared()
    assert backend_model_name(plain) is None and backend_model_name(full) == "m-1"
    assert backend_settings(plain) == {"class": f"{__name__}.{Undeclared.__qualname__}", "declared": False}
    assert backend_settings(full) == {"x": 1}
    reset_backend(plain), reset_backend(full)
    assert (plain.resets, full.resets) == (0, 1)


def test_the_run_loop_records_the_declared_model_name():
    from ttslib.generate import generate_samples
    from ttslib.problems import make_arithmetic

    class Named(_Text, HasModelName):
        model_name = "named-1"

    problems = make_arithmetic(1, levels=(2,), seed=0)
    config = SamplingConfig(n=2, max_tokens=2)
    named = generate_samples(problems, Named(), config, grade_style="last_number", progress=False)
    unnamed = generate_samples(problems, _Text(), config, grade_style="last_number", progress=False)
    assert set(named["model"]) == {"named-1"} and unnamed["model"].isna().all()


def test_the_real_backends_name_their_model():
    backend = OpenAIBackend("http://127.0.0.1:9/v1", "served-model")  # no request is made
    try:
        assert backend_model_name(backend) == "served-model"
        assert backend_settings(backend) == {"model": "served-model", "n_per_request": None}
    finally:
        backend.close()


def test_require_and_supports_reject_what_is_not_a_capability():
    with pytest.raises(TypeError, match="capability must be a protocol class"):
        supports(_Text(), "PrefixCache")
    with pytest.raises(TypeError, match="cls must be a class"):
        declared(_Text())
    require(_Declared(), Tokenizer, PrefixCache, needed_by="x")  # declared: nothing raised
    assert supports(StepChecker(), Verifier) and not supports(_Text(), Verifier)
    assert np.array_equal([supports(_Declared(), c) for c in CAPABILITIES], [c in declared(_Declared) for c in CAPABILITIES])
