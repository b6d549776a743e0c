"""Process reward models from the Hugging Face hub, run with ``transformers`` (for GPU users).

Two PRMs that the HF blog "Scaling test-time compute with open models" and search-and-learn use:

* :class:`RLHFlowPRM`, ``RLHFlow/Llama3.1-8B-PRM-Deepseek-Data`` (Xiong et al. 2024, RLHFlow): a
  Llama-3.1-8B chat model trained to answer "+" (right) or "-" (wrong) after each step. The solution
  is a conversation: user turn 1 = question + " " + step 1, then one user turn per further step, each
  followed by an assistant turn "+". A step's score is ``P(+) / (P(+) + P(-))`` at the position that
  predicts its assistant turn's "+" (as search-and-learn's ``RLHFFlow`` scorer reads it).
* :class:`QwenMathPRM`, ``Qwen/Qwen2.5-Math-PRM-7B`` (Zhang et al. 2025, arXiv:2501.07301): a Qwen2.5
  backbone with a per-token 2-class head (remote code on the hub). The chat is a system prompt, the
  question, and an assistant turn holding the steps each followed by the separator ``<extra_0>``; a
  step's score is the positive-class probability at its separator (the model card's recipe).

Both batch their sequences (longest first, ``batch_size`` at a time) with padding on either side and
explicit position ids, so a batch scores what one sequence alone scores. Truncation rule: each step is
scored in the context of the question and as many of the steps just before it as fit in
``max_length`` tokens (all of them when the partial fits, which is then one sequence); a question that
does not fit with one step is refused. ``num_tokens`` counts the tokens run through the model
(padding excluded). ``torch`` and ``transformers`` (``pip install -e .[prm]``) are imported when a PRM
is built, never at ``import ttslib``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ttslib.generate.base import HasSettings
from ttslib.verifiers.base import StepScores, Verifier, check_batch

__all__ = ["RLHFlowPRM", "QwenMathPRM", "default_dtype"]


def _torch():
    try:
        import torch
        import transformers
    except ImportError as err:
        raise ImportError("the hub PRMs need torch and transformers: pip install -e .[prm]") from err
    return torch, transformers


def default_dtype(device, torch) -> str:
    """The weights' dtype for a device: "bfloat16" on a CUDA GPU with bf16, "float16" on an older one,
    "float32" on the CPU (bf16 matrix products are slow on CPUs without bf16 units)."""
    if torch.device(device).type == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "float32"


def _context_length(config) -> int:
    """The longest sequence a transformers model reads: its config's ``max_position_embeddings``, else 4096."""
    try:
        return config.max_position_embeddings or 4096
    except AttributeError:  # a config without the field (transformers maps the usual aliases onto it)
        return 4096


class _TransformersPRM(Verifier, HasSettings):
    """Batching, padding and truncation shared by the hub PRMs; subclasses say how a partial becomes tokens
    (:meth:`encode`) and how the model's output at the label positions becomes probabilities (:meth:`_probs`)."""

    name: str
    model: str | None
    default_model_id: str
    auto_class: str
    trust_remote_code = False

    def __init__(self, model_id=None, *, model=None, tokenizer=None, device=None, dtype=None,
                 batch_size: int = 8, max_length: int | None = None, padding_side: str = "right",
                 flops_model: str | None = None):
        torch, transformers = _torch()
        self._torch = torch
        if padding_side not in ("left", "right"):
            raise ValueError(f"padding_side must be 'left' or 'right'; got {padding_side!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1; got {batch_size!r}")
        self.model_id = model_id or self.default_model_id
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        if dtype is None:  # bf16 where the device has it, fp16 on an older GPU, fp32 on the CPU
            dtype = default_dtype(self.device, torch)
        if isinstance(dtype, str):
            if not isinstance(getattr(torch, dtype, None), torch.dtype):
                raise ValueError(f"dtype must name a torch dtype ('bfloat16', 'float16', 'float32'); got {dtype!r}")
            dtype = getattr(torch, dtype)
        if tokenizer is None:
            tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_id, trust_remote_code=self.trust_remote_code)
        if model is None:
            major = int(transformers.__version__.split(".")[0])
            kwargs = {"dtype": dtype} if major >= 5 else {"torch_dtype": dtype}
            model = getattr(transformers, self.auto_class).from_pretrained(
                self.model_id, trust_remote_code=self.trust_remote_code, **kwargs)
        self.net = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.batch_size, self.padding_side = batch_size, padding_side
        if max_length is None:
            max_length = _context_length(model.config)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2:
            raise ValueError(f"max_length must be an int >= 2 (tokens per sequence); got {max_length!r}")
        self.max_length = max_length
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.pad_id = int(pad) if pad is not None else 0  # masked out: any id will do
        if flops_model is not None:
            self.model = flops_model
        self._setup()

    def settings(self) -> dict:
        """What a run's manifest records: the model, its dtype and device, and how sequences are batched and cut."""
        return {"name": self.name, "model_id": str(self.model_id), "dtype": str(next(self.net.parameters()).dtype),
                "device": self.device.type, "batch_size": self.batch_size, "max_length": self.max_length,
                "padding_side": self.padding_side}

    def _setup(self) -> None:  # token ids the subclass needs
        pass

    def encode(self, question: str, steps) -> tuple[list[int], list[int]]:
        """Token ids of (question, steps) and, per step, the index of the token whose output scores it."""
        raise NotImplementedError

    def _probs(self, input_ids, attention_mask, position_ids, rows, cols) -> np.ndarray:
        """P(right) at (rows, cols) of the batch, (len(rows),) float."""
        raise NotImplementedError

    def _sequences(self, question: str, steps) -> list[tuple[list[int], list[int], range, int]]:
        """(ids, label positions, steps they score, steps dropped from the front of their context) covering
        every step once, under the truncation rule."""
        ids, pos = self.encode(question, steps)
        if len(ids) <= self.max_length:
            return [(ids, pos, range(len(steps)), 0)]
        out, i, j = [], 0, 0
        while j < len(steps):
            while i <= j and len(self.encode(question, steps[i : j + 1])[0]) > self.max_length:
                i += 1  # drop the oldest step from the context
            if i > j:
                raise ValueError(
                    f"{self.name}: the question with step {j} alone is longer than max_length = {self.max_length} "
                    f"tokens ({len(self.encode(question, steps[j : j + 1])[0])}); raise max_length or shorten it"
                )
            ids, pos = self.encode(question, steps[i : j + 1])
            end = j + 1
            while end < len(steps):
                longer = self.encode(question, steps[i : end + 1])
                if len(longer[0]) > self.max_length:
                    break
                (ids, pos), end = longer, end + 1
            out.append((ids, pos[j - i :], range(j, end), i))
            j = end
        return out

    def score(self, questions, partials, *, step_logprobs=None) -> StepScores:
        questions, partials = check_batch(questions, partials)
        scores = [np.zeros(len(steps)) for steps in partials]
        seqs = []  # (ids, label positions, partial index, step indices)
        dropped = [0] * len(partials)  # per partial: the most steps any of its sequences left out of the context
        for k, (q, steps) in enumerate(zip(questions, partials)):
            if steps:
                for ids, pos, js, cut in self._sequences(q, steps):
                    seqs.append((ids, pos, k, js))
                    dropped[k] = max(dropped[k], cut)
        seqs.sort(key=lambda s: -len(s[0]))  # similar lengths together: less padding
        torch = self._torch
        for start in range(0, len(seqs), self.batch_size):
            batch = seqs[start : start + self.batch_size]
            width = max(len(s[0]) for s in batch)
            ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            rows, cols = [], []
            for b, (seq, pos, _, _) in enumerate(batch):
                off = width - len(seq) if self.padding_side == "left" else 0
                ids[b, off : off + len(seq)] = torch.tensor(seq, dtype=torch.long)
                mask[b, off : off + len(seq)] = 1
                rows += [b] * len(pos)
                cols += [off + p for p in pos]
            positions = (mask.cumsum(dim=1) - 1).clamp(min=0)  # (B, T): 0.. from each sequence's first token
            with torch.inference_mode():
                p = self._probs(ids.to(self.device), mask.to(self.device), positions.to(self.device), rows, cols)
            at = 0
            for seq, pos, k, js in batch:
                scores[k][list(js)] = p[at : at + len(pos)]
                at += len(pos)
        num_tokens = sum(len(s[0]) for s in seqs)
        return StepScores(scores=tuple(scores), num_tokens=int(num_tokens), truncated=tuple(dropped))


class RLHFlowPRM(_TransformersPRM):
    """``RLHFlow/Llama3.1-8B-PRM-Deepseek-Data``: P("+") / (P("+") + P("-")) where the assistant answers each step.

    Parameters
    ----------
    model_id : hub id or local directory (default the RLHFlow model).
    model, tokenizer : an already loaded causal LM and its fast tokenizer (with a chat template), instead of loading.
    device : torch device (default ``cuda`` if available, else ``cpu``); dtype : weights' dtype when loading
        (default :func:`default_dtype`: bfloat16 on a GPU that has it, float16 on an older one, float32 on the CPU).
    batch_size : sequences per forward pass; padding_side : "right" (default) or "left", same scores.
    max_length : tokens per sequence (default the model's ``max_position_embeddings``): the truncation rule above.
    flops_model : the name of its model in :mod:`ttslib.flops` (default ``Llama-3.1-8B``).
    """

    name = "rlhflow_prm"
    model = "Llama-3.1-8B"
    default_model_id = "RLHFlow/Llama3.1-8B-PRM-Deepseek-Data"
    auto_class = "AutoModelForCausalLM"

    def _setup(self) -> None:
        if not self.tokenizer.is_fast:  # every transformers tokenizer says
            raise ValueError(f"{self.name} needs a fast tokenizer (offsets locate each step's label); got {type(self.tokenizer).__name__}")
        self._label = "+"
        self._plus = self.tokenizer.encode("+", add_special_tokens=False)[-1]
        self._minus = self.tokenizer.encode("-", add_special_tokens=False)[-1]

    def _conversation(self, question: str, steps) -> list[dict]:
        conv = []
        for j, step in enumerate(steps):
            conv.append({"role": "user", "content": f"{question} {step}" if j == 0 else step})
            conv.append({"role": "assistant", "content": self._label})
        return conv

    def encode(self, question: str, steps) -> tuple[list[int], list[int]]:
        conv = self._conversation(question, steps)
        render = lambda c, gen: self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=gen)  # noqa: E731
        text = render(conv, False)
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        starts = {s: t for t, (s, e) in enumerate(enc["offset_mapping"]) if e > s}
        pos = []
        for j in range(len(steps)):
            head = render(conv[: 2 * j + 1], True)  # everything up to the assistant's answer to step j
            t = starts.get(len(head))
            if not text.startswith(head) or t is None or enc["input_ids"][t] != self._plus:
                raise ValueError(f"{self.name}: could not find the label token '+' after step {j} in the chat template's text")
            pos.append(t - 1)  # the logits there predict the label
        return list(enc["input_ids"]), pos

    def _probs(self, input_ids, attention_mask, position_ids, rows, cols) -> np.ndarray:
        hidden = self.net.base_model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).last_hidden_state
        h = hidden[rows, cols]  # (L, d): only the label positions go through the output layer
        head = self.net.get_output_embeddings()
        w = head.weight[[self._plus, self._minus]]  # (2, d)
        logits = h @ w.T + (head.bias[[self._plus, self._minus]] if head.bias is not None else 0)
        return self._torch.softmax(logits.float(), dim=-1)[:, 0].cpu().numpy()


class QwenMathPRM(_TransformersPRM):
    """``Qwen/Qwen2.5-Math-PRM-7B``: the positive-class probability of its 2-class head at each ``<extra_0>``.

    Parameters as :class:`RLHFlowPRM`; the hub model loads with ``AutoModel`` and ``trust_remote_code``
    (its head is remote code); ``system`` is the system prompt (the model card's by default).
    ``flops_model`` defaults to ``Qwen2.5-7B`` (the same backbone shape; the PRM swaps the output
    layer for a small head).
    """

    name = "qwen_math_prm"
    model = "Qwen2.5-7B"
    default_model_id = "Qwen/Qwen2.5-Math-PRM-7B"
    auto_class = "AutoModel"
    trust_remote_code = True
    separator = "<extra_0>"
    system = "Please reason step by step, and put your final answer within \\boxed{}."

    def _setup(self) -> None:
        ids = self.tokenizer.encode(self.separator, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"{self.name}: the separator {self.separator!r} must be one token of the tokenizer; it is {ids}")
        self._sep = ids[0]

    def encode(self, question: str, steps) -> tuple[list[int], list[int]]:
        for where, text in [("question", question)] + [(f"step {j}", s) for j, s in enumerate(steps)]:
            if self.separator in text:
                raise ValueError(f"{self.name}: the {where} contains the step separator {self.separator!r}")
        messages = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": question},
            {"role": "assistant", "content": "".join(s + self.separator for s in steps)},
        ]
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
        ids = list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        pos = [t for t, i in enumerate(ids) if i == self._sep]
        if len(pos) != len(steps):
            raise ValueError(f"{self.name}: found {len(pos)} separators for {len(steps)} steps (the chat template moved them?)")
        return ids, pos

    def _probs(self, input_ids, attention_mask, position_ids, rows, cols) -> np.ndarray:
        out = self.net(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids)
        # (B, T, 2): a transformers output (a mapping of its non-None fields) or, from remote code, a plain tuple
        logits = out["logits"] if isinstance(out, Mapping) and "logits" in out else out[0]
        if logits.ndim != 3 or logits.shape[-1] != 2:
            raise ValueError(f"{self.name}: the model must give 2-class logits per token (B, T, 2); got shape "
                             f"{tuple(logits.shape)} (a backbone without the PRM head?)")
        return self._torch.softmax(logits[rows, cols].float(), dim=-1)[:, 1].cpu().numpy()
