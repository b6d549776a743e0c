"""FLOPs accounting: what a model costs to train and to sample from, on one axis.

Forward pass, per token at context position t (the token attends to t tokens, itself included):

    C(t) = 2 N + a * n_layer * t * d_attn              (Kaplan et al. 2020, arXiv:2001.08361, Table 1)

with N the parameters and d_attn = n_heads * head_dim. N here is the total parameter count, as
Large Language Monkeys use it; Kaplan's N leaves out the embeddings, so for small models with
untied embeddings (pythia-70m: +58%, pythia-410m: +15%) this counts the input lookup as a
matmul and overstates their cost. Kaplan count only the QK^T product, a = 2
(``attention="kaplan"``); Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787) write
``2 * (N + 2 * n_layer * d_model * context)``, i.e. a = 4, counting the attention-weighted sum of
values as well (``attention="monkeys"``). Summed over n tokens after ``start`` already in context,

    S(start, n) = 2 N n + a * n_layer * d_attn * (n * start + n (n + 1) / 2).

A problem's prompt of p tokens, shared through the KV cache by its samples of m_j tokens, costs
``S(0, p) + sum_j S(p, m_j)``; without sharing every sample pays its own prefill, ``sum_j S(0, p + m_j)``.
A verifier reading a sample costs the same forward pass on its model. Training costs ``6 N D``
(arXiv:2001.08361); Snell et al. (arXiv:2408.03314, Sec. 7) trade it against inference ``2 N D_inf``.

The models' sizes and architectures come from the registry (``ttslib.registry``); which model reaches
a score with the fewest FLOPs is ``ttslib.frontier``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ttslib.checks import check_budgets, whole_numbers
from ttslib.registry import ModelSpec, get_model

__all__ = [
    "ATTENTION", "flops_per_token", "sequence_flops", "tree_flops", "inference_flops", "verifier_flops",
    "RunFlops", "run_flops", "flops_at_k", "failed_samples",
    "pretraining_flops", "matched_inference_multiplier", "matched_inference_tokens",
]

ATTENTION = {"kaplan": 2.0, "monkeys": 4.0}  # a in C(t) = 2N + a * n_layer * t * d_attn


def _tokens(x, name: str) -> np.ndarray:
    """Token counts as a float array, checked to be finite whole numbers >= 0."""
    return whole_numbers(x, name)


def _coef(attention: str) -> float:
    if attention not in ATTENTION:
        raise ValueError(f"attention must be one of {sorted(ATTENTION)}; got {attention!r}")
    return ATTENTION[attention]


def flops_per_token(model, position, *, attention: str = "kaplan") -> np.ndarray:
    """Forward FLOPs of one token at 1-indexed context ``position`` t:
    ``2N + a * n_layer * t * d_attn`` (arXiv:2001.08361 Table 1; a = 4 in arXiv:2407.21787).

    ``position`` is an int or an array of any shape; the result has its shape.
    """
    spec = get_model(model)
    t = _tokens(position, "position")
    if np.any(t < 1):
        raise ValueError(f"position is 1-indexed (a token attends to itself); got {t[t < 1][:3].tolist()}")
    if np.any(t > spec.context):
        raise ValueError(f"position {int(t.max())} exceeds the context of {spec.name} ({spec.context} tokens)")
    return 2.0 * spec.params + _coef(attention) * spec.n_layers * spec.d_attn * t


def sequence_flops(model, num_tokens, *, start=0, attention: str = "kaplan") -> np.ndarray:
    """Forward FLOPs of ``num_tokens`` n tokens following ``start`` tokens already in the KV cache:
    ``S(start, n) = 2N n + a * n_layer * d_attn * (n * start + n (n + 1) / 2)``, the closed form of
    ``sum_{t=start+1}^{start+n} C(t)`` (arXiv:2001.08361). Broadcasts ``start`` against ``num_tokens``.
    """
    spec = get_model(model)
    n, s = _tokens(num_tokens, "num_tokens"), _tokens(start, "start")
    end = n + s
    if np.any(end > spec.context):
        raise ValueError(
            f"start + num_tokens = {int(end.max())} exceeds the context of {spec.name} ({spec.context} tokens): "
            f"a prompt plus completion cannot be longer than the context"
        )
    attn = _coef(attention) * spec.n_layers * spec.d_attn
    return 2.0 * spec.params * n + attn * (n * s + n * (n + 1) / 2)


def tree_flops(model, num_tokens, context_sum, *, attention: str = "kaplan") -> np.ndarray:
    """Forward FLOPs of tokens generated at scattered positions (a search tree): ``2N n + a * n_layer *
    d_attn * context_sum``, with ``context_sum`` the sum over the n tokens of the position each sits at
    (the t of ``C(t)``). For one run of n tokens after ``start`` it is :func:`sequence_flops`, since
    the positions there sum to ``n start + n (n + 1) / 2``."""
    spec = get_model(model)
    n, c = _tokens(num_tokens, "num_tokens"), _tokens(context_sum, "context_sum")
    return 2.0 * spec.params * n + _coef(attention) * spec.n_layers * spec.d_attn * c


def inference_flops(model, prompt_tokens, completion_tokens, *, num_samples: int | None = None,
                    shared_prompt: bool = True, attention: str = "kaplan") -> float:
    """Forward FLOPs of sampling one problem: ``S(0, p) + sum_j S(p, m_j)`` with the prompt's KV cache
    shared by the samples (prefilled once, as arXiv:2407.21787 count it), else ``sum_j S(0, p + m_j)``.

    Parameters
    ----------
    prompt_tokens : int, p >= 1
    completion_tokens : int or array_like, shape (n_samples,)
        Tokens generated by each sample; an int with ``num_samples`` means that many samples of that length.
    """
    p = _tokens(prompt_tokens, "prompt_tokens")
    if p.ndim != 0 or p < 1:
        raise ValueError(f"prompt_tokens must be one whole number >= 1 (a problem's prompt); got {prompt_tokens!r}")
    m = _tokens(completion_tokens, "completion_tokens")
    if num_samples is not None:
        if m.ndim != 0 or int(num_samples) != num_samples or num_samples < 1:
            raise ValueError("num_samples (an int >= 1) goes with one completion length, not an array of them")
        m = np.full(int(num_samples), float(m))
    m = np.atleast_1d(m)
    if shared_prompt:
        return float(sequence_flops(model, p, attention=attention) + sequence_flops(model, m, start=p, attention=attention).sum())
    return float(sequence_flops(model, p + m, attention=attention).sum())


def verifier_flops(verifier, prompt_tokens, completion_tokens, **kwargs) -> float:
    """FLOPs of a verifier / PRM reading each sample once: one forward pass over prompt + completion on the
    verifier's model, the same sum as :func:`inference_flops` (token counts of the policy's tokenizer)."""
    return inference_flops(verifier, prompt_tokens, completion_tokens, **kwargs)


@dataclass(frozen=True)
class RunFlops:
    """Forward FLOPs of a whole run (all problems and samples of a sample table). ``num_failed`` samples
    (``status`` "error: ...": refused or never generated) cost nothing and are left out of the sums."""

    policy: float
    verifier: float
    num_problems: int
    num_samples: int
    num_failed: int = 0

    @property
    def total(self) -> float:
        return self.policy + self.verifier


def failed_samples(samples: pd.DataFrame) -> np.ndarray:
    """(rows,) bool: samples whose ``status`` records that sampling failed ("error: ...", e.g. a prompt
    the server refused), which generated nothing. Grading outcomes ("no_answer", "timeout") are not failures."""
    if "status" not in samples.columns:
        return np.zeros(len(samples), dtype=bool)
    return samples["status"].astype(str).str.startswith("error").to_numpy()


def _per_sample(samples: pd.DataFrame, model, shared_prompt: bool, attention: str):
    """Per-problem prefill FLOPs (P,) and per-sample FLOPs (rows,); failed samples cost 0, and a problem
    whose samples all failed has no prefill."""
    for column in ("problem_id", "num_prompt_tokens", "num_completion_tokens"):
        if column not in samples.columns:
            raise ValueError(f"sample table is missing column {column!r}; it has {list(samples.columns)}")
    failed = failed_samples(samples)
    ran = samples[~failed]
    prompts = ran.groupby("problem_id", sort=False)["num_prompt_tokens"].agg(["min", "max"])
    prompts = prompts.reindex(pd.unique(samples["problem_id"]), fill_value=0)  # every problem, in table order
    if (prompts["min"] != prompts["max"]).any():
        raise ValueError(f"num_prompt_tokens differs within problem(s) {prompts.index[prompts['min'] != prompts['max']][:3].tolist()}")
    zero = (prompts["min"] < 1) & prompts.index.isin(ran["problem_id"])
    if zero.any():
        raise ValueError(
            f"num_prompt_tokens is 0 for {int(zero.sum())} problem(s) with samples that ran, e.g. "
            f"{prompts.index[zero][:3].tolist()}: token counts were not recorded (monkey_business tables have none); FLOPs need them"
        )
    p = np.where(failed, 0, samples["num_prompt_tokens"].to_numpy())
    m = np.where(failed, 0, samples["num_completion_tokens"].to_numpy())
    if shared_prompt:
        each = np.where(failed, 0.0, sequence_flops(model, m, start=p, attention=attention))
        return sequence_flops(model, prompts["min"].to_numpy(), attention=attention), each
    return np.zeros(len(prompts)), np.where(failed, 0.0, sequence_flops(model, p + m, attention=attention))


def run_flops(samples: pd.DataFrame, model, *, verifier=None, shared_prompt: bool = True,
              attention: str = "kaplan") -> RunFlops:
    """Total forward FLOPs of a sample table from its ``num_prompt_tokens`` and ``num_completion_tokens``:
    the sum over problems of :func:`inference_flops`, plus :func:`verifier_flops` if ``verifier`` is named.
    Failed samples (:func:`failed_samples`) are skipped and counted in ``RunFlops.num_failed``.
    """
    prefill, each = _per_sample(samples, model, shared_prompt, attention)
    policy = float(prefill.sum() + each.sum())
    checked = 0.0
    if verifier is not None:
        v_prefill, v_each = _per_sample(samples, verifier, shared_prompt, attention)
        checked = float(v_prefill.sum() + v_each.sum())
    return RunFlops(policy=policy, verifier=checked, num_problems=len(prefill), num_samples=len(samples),
                    num_failed=int(failed_samples(samples).sum()))


def flops_at_k(samples: pd.DataFrame, model, k, *, shared_prompt: bool = True, attention: str = "kaplan") -> np.ndarray:
    """Expected policy FLOPs of drawing k of each problem's samples, summed over problems:
    ``sum_i [S(0, p_i) + k * mean_j S(p_i, m_ij)]`` (shared prompt), the cost axis matching pass@k,
    which averages over subsets of k samples (a failed sample is drawn and costs 0, as pass@k counts
    it drawn and wrong). Returns shape (K,) for k of shape (K,).
    """
    prefill, each = _per_sample(samples, model, shared_prompt, attention)
    groups = pd.Series(each, index=samples.index).groupby(samples["problem_id"].to_numpy(), sort=False)
    mean_each, size = groups.mean().to_numpy(), groups.size().to_numpy()  # (P,)
    ks = check_budgets(k, int(size.min()), "k (at most the fewest samples of any problem)").astype(float)
    return prefill.sum() + ks * mean_each.sum()


def pretraining_flops(model, tokens=None, *, nominal: bool = False) -> float:
    """Training FLOPs ``6 N D`` (arXiv:2001.08361; used by Snell et al. arXiv:2408.03314 and
    Liu et al. arXiv:2502.06703 Table 4). ``model`` is a registry name, a ModelSpec or N itself;
    ``tokens`` defaults to the registry's pretraining tokens; ``nominal`` uses the size in the name."""
    if isinstance(model, (str, ModelSpec)):
        spec = get_model(model)
        params = spec.params_nominal if nominal else spec.params
        if tokens is None:
            if spec.pretrain_tokens is None:
                raise ValueError(f"pretraining tokens of {spec.name} are not published ({spec.pretrain_tokens_note}); pass tokens=")
            tokens = spec.pretrain_tokens
    else:
        params = float(model)
    if tokens is None or not np.isfinite(tokens) or tokens <= 0:
        raise ValueError(f"tokens must be a number > 0; got {tokens!r}")
    if not np.isfinite(params) or params <= 0:
        raise ValueError(f"parameters must be a number > 0; got {params!r}")
    return 6.0 * params * float(tokens)


def matched_inference_multiplier(size_ratio, ratio_r) -> np.ndarray:
    """Test-time compute multiplier M of a small model that matches the total FLOPs of a model
    ``size_ratio`` k times larger: ``6 N D_pre + 2 N D_inf M = k (6 N D_pre + 2 N D_inf)`` gives
    ``M = k + 3 (k - 1) / R`` with ``R = D_inf / D_pre`` (Snell et al. 2024, arXiv:2408.03314, Sec. 7)."""
    k, r = np.asarray(size_ratio, dtype=float), np.asarray(ratio_r, dtype=float)
    if np.any(~np.isfinite(k) | (k < 1)):
        raise ValueError(f"size_ratio must be >= 1 (large / small parameters); got {np.atleast_1d(k)[:3].tolist()}")
    if np.any(~np.isfinite(r) | (r <= 0)):
        raise ValueError(f"ratio_r = D_inf / D_pre must be > 0; got {np.atleast_1d(r)[:3].tolist()}")
    return k + 3.0 * (k - 1.0) / r


def matched_inference_tokens(small, large, large_inference_tokens, *, nominal: bool = False) -> float:
    """Inference tokens the small model may spend for the total (pretraining + inference) FLOPs of
    the large one: ``D_s = (6 N_l D_pre,l + 2 N_l D_inf,l - 6 N_s D_pre,s) / (2 N_s)``; with equal
    pretraining data this is Snell et al.'s ``M * D_inf,l`` (arXiv:2408.03314). Negative: the small
    model's pretraining alone costs more than the large model's total."""
    s, big = get_model(small), get_model(large)
    d_inf = float(large_inference_tokens)
    if not np.isfinite(d_inf) or d_inf <= 0:
        raise ValueError(f"large_inference_tokens must be > 0; got {large_inference_tokens!r}")
    n_s = s.params_nominal if nominal else s.params
    n_l = big.params_nominal if nominal else big.params
    budget = pretraining_flops(big, nominal=nominal) + 2.0 * n_l * d_inf
    return (budget - pretraining_flops(s, nominal=nominal)) / (2.0 * n_s)
