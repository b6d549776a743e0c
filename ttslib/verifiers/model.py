"""Verifiers that use a language model: the policy's own confidence, and the embedded model as a judge.

* :class:`ModelConfidence` scores a step by the policy's probability of its own tokens,
  ``exp(mean_t log p(token_t))`` (the per-token geometric mean; self-certainty as a verifier, e.g.
  Kang et al. 2025, arXiv:2502.18581, and the confidence baselines of Wang et al. 2023,
  arXiv:2312.08935). The log-probabilities are the ones the backends record while sampling, so it
  costs nothing extra.
* :class:`GenerativeJudge` asks a model whether each step is right, as in LLM-as-a-judge / generative
  verifiers (Zhang et al. 2024, arXiv:2408.15240): after a few-shot prompt ending in "Last line
  correct?", the score is ``P(" Yes") / (P(" Yes") + P(" No"))`` at the next token, i.e.
  ``sigmoid(logit_Yes - logit_No)``. At 135M parameters it is no verifier at all: SmolLM2-135M
  scored ROC AUC 0.46 over 206 distinct chain steps (0.54 for right steps against first wrong
  steps; tests/test_verifiers.py, 6,688 prompt tokens prefilled). It is here so that a judge's
  cost and quality can be put on the same axes as the others, and for bigger embedded models.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from scipy.special import expit

from ttslib.generate.base import HasSettings, NextTokenLogits, Tokenizer, backend_settings, require
from ttslib.verifiers.base import StepScores, Verifier, check_batch

__all__ = ["sample_confidence", "ModelConfidence", "GenerativeJudge", "JUDGE_FEWSHOT"]


def sample_confidence(samples) -> np.ndarray:
    """The model's confidence in each whole sample of a table: ``exp(logprob / num_completion_tokens)``,
    the geometric-mean probability of its sampled tokens, in (0, 1]; 0 for a sample without tokens.
    The one definition the kit uses for whole samples; :class:`ModelConfidence` is the same per step."""
    for need in ("logprob", "num_completion_tokens"):
        if need not in samples.columns:
            raise ValueError(f"the model's confidence needs column {need!r}; the table has {list(samples.columns)}")
    lp = samples["logprob"].to_numpy(dtype=float)
    m = samples["num_completion_tokens"].to_numpy(dtype=float)
    bad = (m > 0) & ~(np.isfinite(lp) & (lp <= 1e-6))
    if bad.any():
        raise ValueError(f"logprob must be a finite log-probability <= 0 where a sample has tokens; {int(bad.sum())} row(s) are not")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m > 0, np.exp(np.minimum(lp / np.where(m > 0, m, 1.0), 0.0)), 0.0)


class ModelConfidence(Verifier, HasSettings):
    """Score of step j = ``exp(mean_t lp_jt)`` (``kind="mean"``) or ``exp(min_t lp_jt)`` (``kind="min"``, the
    probability of the step's least likely token), from ``step_logprobs[i][j]`` = the sampled tokens'
    log-probabilities of step j of partial i. A step with no tokens scores 0. Free: ``num_tokens`` 0.
    """

    model = None

    def __init__(self, kind: str = "mean"):
        if kind not in ("mean", "min"):
            raise ValueError(f"kind must be 'mean' or 'min'; got {kind!r}")
        self.kind = kind
        self.name = "confidence" if kind == "mean" else "confidence_min"

    def settings(self) -> dict:
        """What a run's manifest records (``ttslib.generate.base.HasSettings``)."""
        return {"name": self.name, "kind": self.kind}

    def score(self, questions, partials, *, step_logprobs=None) -> StepScores:
        questions, partials = check_batch(questions, partials)
        if step_logprobs is None:
            raise ValueError(
                f"verifier {self.name!r} needs step_logprobs: the log-probabilities of each step's tokens, "
                "which the backends record with every completion (Completion.token_logprobs)"
            )
        if len(step_logprobs) != len(partials):
            raise ValueError(f"step_logprobs has {len(step_logprobs)} entries for {len(partials)} partial solutions")
        reduce = np.mean if self.kind == "mean" else np.min
        scores = []
        for i, (steps, lps) in enumerate(zip(partials, step_logprobs)):
            if len(lps) != len(steps):
                raise ValueError(f"step_logprobs[{i}] has {len(lps)} steps; partial {i} has {len(steps)}")
            out = np.zeros(len(steps))
            for j, lp in enumerate(lps):
                lp = np.asarray(lp, dtype=float)
                if lp.ndim != 1 or not np.all(np.isfinite(lp)) or np.any(lp > 1e-6):
                    raise ValueError(f"step_logprobs[{i}][{j}] must be finite log-probabilities <= 0; got {lp!r}")
                if lp.size:
                    out[j] = np.exp(min(reduce(lp), 0.0))
            scores.append(out)
        return StepScores(scores=tuple(scores), num_tokens=0)


# Few-shot examples of the chain task (ttslib.problems.make_chains): a partial solution, then whether
# its last line is right. Balanced: 4 right, 4 wrong (a wrong sum, a wrong operand, a skipped step, a
# wrong answer line), none of them a question the kit's levels can draw twice in a row.
JUDGE_FEWSHOT = (
    "Each example shows a sum worked out one line at a time. Say whether the last line is correct.\n\n"
    "Q: 2 + 5 - 3\n2 + 5 = 7\nLast line correct? Yes\n\n"
    "Q: 2 + 5 - 3\n2 + 5 = 7\n7 - 3 = 5\nLast line correct? No\n\n"
    "Q: 6 - 1 + 4\n6 - 1 = 5\n5 + 4 = 9\nAnswer: 9\nLast line correct? Yes\n\n"
    "Q: 8 + 1 + 2\n8 + 1 = 9\nAnswer: 9\nLast line correct? No\n\n"
    "Q: 4 + 4 - 5\n4 + 4 = 8\n8 - 5 = 3\nLast line correct? Yes\n\n"
    "Q: 3 + 6 + 1\n3 + 5 = 8\nLast line correct? No\n\n"
    "Q: 9 - 2\n9 - 2 = 7\nAnswer: 7\nLast line correct? Yes\n\n"
    "Q: 5 + 2\n5 + 2 = 7\nAnswer: 6\nLast line correct? No\n\n"
)


class GenerativeJudge(Verifier, HasSettings):
    """The embedded model asked, for every step, whether it is right: score = P(" Yes") / (P(" Yes") + P(" No")).

    One prompt per step: the few-shot examples, then ``Q: {question}``, the steps up to and including
    the one asked about (one a line), and ``Last line correct?``. All steps of all partials go to the
    backend in one call; scores are cached by (question, step prefix), so rescoring a partial during
    search costs nothing. ``num_tokens`` is the prompt tokens the backend actually decoded (a prefix it
    already holds, such as the few-shot part, is not decoded again).

    Parameters
    ----------
    backend : declares :class:`~ttslib.generate.base.NextTokenLogits` (``next_token_logits(prompts) ->
        (logits (P, V), tokens decoded)``) and :class:`~ttslib.generate.base.Tokenizer` (``tokenize(text,
        add_bos=...)``), as :class:`ttslib.generate.llama.LlamaCppBackend` does; else TypeError naming what is missing.
    fewshot : the examples put before every question (default :data:`JUDGE_FEWSHOT`).
    yes, no : the answer words; each must be one token of the backend's vocabulary.
    model : the judge's name in the :mod:`ttslib.flops` registry (default: the embedded SmolLM2-135M).
    cache_size : how many (question, step prefix) scores are kept (oldest dropped first).
    """

    name = "judge"

    def __init__(self, backend, *, fewshot: str = JUDGE_FEWSHOT, yes: str = " Yes", no: str = " No",
                 model: str | None = "SmolLM2-135M", cache_size: int = 200_000):
        require(backend, NextTokenLogits, Tokenizer, needed_by="GenerativeJudge (the embedded LlamaCppBackend declares both)")
        self.backend, self.fewshot, self.model, self.cache_size = backend, fewshot, model, int(cache_size)
        ids = []
        for word in (yes, no):
            toks = backend.tokenize(word, add_bos=False)
            if len(toks) != 1:
                raise ValueError(f"the answer word {word!r} must be one token of the backend's vocabulary; it is {toks}")
            ids.append(toks[0])
        if ids[0] == ids[1]:
            raise ValueError(f"yes and no map to the same token {ids[0]}")
        self._yes, self._no = ids
        self._words = (yes, no)
        self._cache: OrderedDict[tuple, float] = OrderedDict()

    def settings(self) -> dict:
        """What a run's manifest records: the prompt, the answer words and the judging model's settings."""
        return {"name": self.name, "fewshot": self.fewshot, "words": list(self._words), "backend": backend_settings(self.backend)}

    def prompt(self, question: str, steps) -> str:
        """The judge's prompt about the last of ``steps`` (one line each; a step's own newlines become spaces)."""
        lines = "".join(" ".join(s.split("\n")) + "\n" for s in steps)
        return f"{self.fewshot}Q: {question}\n{lines}Last line correct?"

    def score(self, questions, partials, *, step_logprobs=None) -> StepScores:
        questions, partials = check_batch(questions, partials)
        keys = [[(q, tuple(steps[: j + 1])) for j in range(len(steps))] for q, steps in zip(questions, partials)]
        todo = list(dict.fromkeys(k for ks in keys for k in ks if k not in self._cache))
        num_tokens = 0
        if todo:
            logits, num_tokens = self.backend.next_token_logits([self.prompt(q, prefix) for q, prefix in todo])
            logits = np.asarray(logits, dtype=float)
            if logits.ndim != 2 or logits.shape[0] != len(todo):
                raise ValueError(f"backend.next_token_logits returned shape {logits.shape} for {len(todo)} prompts")
            p_yes = expit(logits[:, self._yes] - logits[:, self._no])  # P(Yes) / (P(Yes) + P(No))
            for key, p in zip(todo, p_yes):
                self._cache[key] = float(p)
        scores = tuple(np.array([self._cache[k] for k in ks], dtype=float) for ks in keys)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return StepScores(scores=scores, num_tokens=int(num_tokens))
