"""The model registry: architecture, size and pretraining data of the models the kit knows, with sources.

One row per model in ``ttslib/models.csv`` (parameters as published, the architecture from each model's
``config.json``, pretraining tokens where published, and the source of each), read once into
:class:`ModelSpec` records. :func:`get_model` looks a model up by name, forgiving case, an ``org/``
prefix and an ``-Instruct``/``-it``/``-chat`` suffix; an unknown name raises ``ValueError`` naming the
close matches. :func:`checkpoint` reads what a run's model name says beyond the row: whether the
file is instruction-tuned and how it is quantised (two runs of different sizes often differ in both).
The FLOPs of running a model are ``ttslib.flops``.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, fields
from importlib import resources

import pandas as pd

__all__ = ["ModelSpec", "Checkpoint", "registry", "get_model", "checkpoint"]


@dataclass(frozen=True)
class ModelSpec:
    """One row of the registry ``ttslib/models.csv``: architecture, size and pretraining data, with sources."""

    name: str
    family: str
    arch: str  # "gpt-neox", "llama", "qwen2" (q/k/v biases) or "gemma3"
    params: float  # N as published (see params_note: exact count or rounded)
    params_nominal: float  # the size in the name, e.g. 3e9 for Llama-3.2-3B
    params_note: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int
    vocab_size: int
    tied_embeddings: bool
    context: int  # longest context the model card states
    pretrain_tokens: float | None  # None where not published
    pretrain_tokens_note: str
    source: str

    @property
    def d_attn(self) -> int:
        """Width of the attention dot products, n_heads * head_dim (not d_model for Gemma 3)."""
        return self.n_heads * self.head_dim


_PARSE = {  # field type (as annotated) -> how to read it from the CSV text
    "str": str, "int": int, "float": float, "bool": lambda v: str(v).lower() == "true",
    "float | None": lambda v: float(v) if v != "" else None,  # empty cell: not published
}


@functools.lru_cache(maxsize=1)
def _specs() -> dict[str, ModelSpec]:
    with resources.files("ttslib").joinpath("models.csv").open("r", encoding="utf-8") as f:
        rows = pd.read_csv(f, keep_default_na=False, dtype=str).to_dict("records")
    specs = [ModelSpec(**{fd.name: _PARSE[fd.type](row[fd.name]) for fd in fields(ModelSpec)}) for row in rows]
    return {spec.name.lower(): spec for spec in specs}


def registry() -> pd.DataFrame:
    """The model registry as a table, one row per model (columns as in :class:`ModelSpec`)."""
    return pd.DataFrame([vars(spec) for spec in _specs().values()])


_QUANTISED = re.compile(r"([.-](q\d\w*|f16|f32|bf16|gguf))+$")  # a GGUF file's quantisation, e.g. ".Q4_1", "-q4_k_m.gguf"


def get_model(model) -> ModelSpec:
    """Look a model up by name: case-insensitive, ``org/`` prefix dropped; ``-Instruct``/``-it``/``-chat``
    variants share their base model's row (same architecture; fine-tuning tokens are not counted), and so
    do quantised files of it (a GGUF name such as ``SmolLM2-135M-Instruct.Q4_1`` or ``gemma-3-270m-q4_k_m``)."""
    if isinstance(model, ModelSpec):
        return model
    if not isinstance(model, str):
        raise TypeError(f"model must be a registry name or a ModelSpec; got {type(model).__name__}")
    specs = _specs()
    key = model.strip().split("/")[-1].lower()
    for name in dict.fromkeys([key, _QUANTISED.sub("", key)]):  # the name as given first
        for suffix in ("", "-instruct", "-it", "-chat"):
            if name.endswith(suffix) and name[: len(name) - len(suffix)] in specs:
                return specs[name[: len(name) - len(suffix)]]
    close = difflib.get_close_matches(key, specs, n=3, cutoff=0.5)
    names = [specs[c].name for c in close]
    raise ValueError(
        f"model {model!r} is not in the registry ttslib/models.csv"
        + (f"; close matches: {names}" if names else "")
        + "; add a row with its config.json values and a source"
    )


_TUNED = ("-instruct", "-it", "-chat")  # suffixes of instruction-tuned variants, as get_model forgives them


@dataclass(frozen=True)
class Checkpoint:
    """A model file as a run names it (``SmolLM2-135M-Instruct.Q4_1``): its registry row, whether it is the
    instruction-tuned variant, and its quantisation (``None`` where the name gives none)."""

    name: str  # as the run recorded it
    spec: ModelSpec
    tuning: str  # "instruction-tuned" or "base"
    quantisation: str | None  # e.g. "Q4_1", "Q4_K_M", "F16"


def checkpoint(name: str) -> Checkpoint:
    """What a run's model name says: the registry row (:func:`get_model`), tuning and quantisation.

    The tuning is read from an ``-Instruct``/``-it``/``-chat`` suffix (after the quantisation is taken off);
    the quantisation from a GGUF-style tail (``.Q4_1``, ``-q4_k_m``, ``.gguf`` dropped), upper-cased.
    A name without either is read as the base model, unquantised as far as the name says.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a model name (str); got {type(name).__name__}")
    spec = get_model(name)
    key = name.strip().split("/")[-1].lower()
    tail = _QUANTISED.search(key)
    quant = re.findall(r"q\d\w*|bf16|f16|f32", tail.group(0)) if tail else []
    base = _QUANTISED.sub("", key)
    tuned = any(base.endswith(suffix) and base[: len(base) - len(suffix)] == spec.name.lower() for suffix in _TUNED)
    return Checkpoint(name, spec, "instruction-tuned" if tuned else "base", quant[0].upper() if quant else None)
