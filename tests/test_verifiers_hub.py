"""Hub PRMs (ttslib.verifiers.hub) on tiny randomly initialised models built here, offline.

These tests check plumbing, not quality: the weights are random, so the scores mean nothing; what is
checked is that each step's label position is found, that there is one score in [0, 1] per step, that
batching with left or right padding scores what one sequence alone scores, that scores equal an
independent one-sequence computation in the models' own formats, and the truncation rule.

* RLHFlow/Llama3.1-8B-PRM-Deepseek-Data is a LlamaForCausalLM: here a 2-layer one, with a byte-level
  BPE tokenizer trained on a few lines and a Llama-3-style chat template and special tokens.
* Qwen/Qwen2.5-Math-PRM-7B's head is remote code on the hub (Qwen2ForProcessRewardModel); the closest
  local equivalent is built here: a tiny Qwen2Model backbone with the same per-token head shape
  (Linear(d, d), ReLU, Linear(d, 2)), a ChatML template and the ``<extra_0>`` separator token.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the hub PRMs need torch: pip install -e .[prm]")
transformers = pytest.importorskip("transformers", reason="the hub PRMs need transformers: pip install -e .[prm]")

from ttslib.verifiers import QwenMathPRM, RLHFlowPRM, check_step_scores  # noqa: E402

LLAMA_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
    "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "Q: 3 + 4 - 2\n3 + 4 = 7\n7 - 2 = 5\nA: 5",
    "What is the sum of 12 and 30? First add the tens, then the ones.",
    "Please reason step by step, and put your final answer within \\boxed{}.",
    "+ - = 0 1 2 3 4 5 6 7 8 9 The answer is 42. So x = 7 and y = 9.",
]
QUESTIONS = ["3 + 4 - 2", "What is the sum of 12 and 30?", "9 - 2 + 1"]
PARTIALS = [
    ["3 + 4 = 7", "7 - 2 = 5", "A: 5"],
    ["First add the tens: 10 + 30 = 40.", "Then the ones: 40 + 2 = 42.", "The answer is 42."],
    ["9 - 2 = 7"],
]


def _tokenizer(special: list[str], template: str, **tokens):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, **tokens)
    fast.chat_template = template
    return fast


def tiny_llama_parts():
    """A 2-layer LlamaForCausalLM with a Llama-3-style chat template: RLHFlow's PRM in miniature, random weights."""
    tok = _tokenizer(["<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"], LLAMA_TEMPLATE,
                     bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
                     additional_special_tokens=["<|start_header_id|>", "<|end_header_id|>"])
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    return transformers.LlamaForCausalLM(config).eval(), tok


@pytest.fixture(scope="module")
def llama_parts():
    return tiny_llama_parts()


class TinyQwenPRM(torch.nn.Module):
    """Stand-in for the hub's Qwen2ForProcessRewardModel: a Qwen2 backbone and a per-token 2-class head."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.model = transformers.Qwen2Model(config)
        d = config.hidden_size
        self.score = torch.nn.Sequential(torch.nn.Linear(d, d), torch.nn.ReLU(), torch.nn.Linear(d, 2))

    def forward(self, input_ids, attention_mask=None, position_ids=None):
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).last_hidden_state
        return (self.score(hidden),)  # like the hub model's outputs[0]: (B, T, 2) logits


def tiny_qwen_parts():
    """A tiny Qwen2 backbone with a per-token 2-class head and ChatML: Qwen2.5-Math-PRM in miniature, random weights."""
    tok = _tokenizer(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<extra_0>"], CHATML_TEMPLATE,
                     eos_token="<|im_end|>", pad_token="<|endoftext|>", additional_special_tokens=["<|im_start|>", "<extra_0>"])
    torch.manual_seed(1)
    config = transformers.Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    return TinyQwenPRM(config).eval(), tok


@pytest.fixture(scope="module")
def qwen_parts():
    return tiny_qwen_parts()


def _rlhflow(parts, **kw):
    model, tok = parts
    return RLHFlowPRM(model=model, tokenizer=tok, device="cpu", **kw)


def _qwen(parts, **kw):
    model, tok = parts
    return QwenMathPRM(model=model, tokenizer=tok, device="cpu", **kw)


def _ids(tok, text):
    return tok(text, add_special_tokens=False)["input_ids"]


def reference_rlhflow(parts, question, steps):
    """One forward pass per step on the chat rendered up to the assistant turn that answers it; P(+) vs P(-)
    of the next token (the one-at-a-time way of RLHFlow's own evaluation script)."""
    model, tok = parts
    plus, minus = _ids(tok, "+")[-1], _ids(tok, "-")[-1]
    out, conv = [], []
    for j, step in enumerate(steps):
        conv += [{"role": "user", "content": f"{question} {step}" if j == 0 else step}]
        ids = _ids(tok, tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=True))
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1, [plus, minus]]
        out.append(float(torch.softmax(logits, -1)[0]))
        conv += [{"role": "assistant", "content": "+"}]
    return np.array(out)


def reference_qwen(parts, question, steps):
    """The model card's recipe, one sequence: steps joined by <extra_0>, softmax at every separator."""
    model, tok = parts
    messages = [{"role": "system", "content": QwenMathPRM.system}, {"role": "user", "content": question},
                {"role": "assistant", "content": "<extra_0>".join(steps) + "<extra_0>"}]
    ids = torch.tensor([_ids(tok, tok.apply_chat_template(messages, tokenize=False))])
    with torch.no_grad():
        logits = model(ids)[0][0]
    sep = _ids(tok, "<extra_0>")[0]
    return torch.softmax(logits[ids[0] == sep], -1)[:, 1].numpy()


@pytest.mark.parametrize("which", ["rlhflow", "qwen"])
def test_scores_match_the_one_sequence_reference(which, llama_parts, qwen_parts):
    parts, make, ref = (llama_parts, _rlhflow, reference_rlhflow) if which == "rlhflow" else (qwen_parts, _qwen, reference_qwen)
    prm = make(parts)
    res = check_step_scores(prm.score(QUESTIONS, PARTIALS), PARTIALS, prm.name)
    for q, steps, got in zip(QUESTIONS, PARTIALS, res.scores):
        np.testing.assert_allclose(got, ref(parts, q, steps), atol=1e-5)
        assert np.ptp(got) > 0 or len(got) == 1  # random weights still tell steps apart: positions differ
    assert res.num_tokens == sum(len(prm.encode(q, s)[0]) for q, s in zip(QUESTIONS, PARTIALS))


@pytest.mark.parametrize("which", ["rlhflow", "qwen"])
def test_batching_and_padding_side_do_not_change_scores(which, llama_parts, qwen_parts):
    parts, make = (llama_parts, _rlhflow) if which == "rlhflow" else (qwen_parts, _qwen)
    alone = [make(parts).score([q], [s]).scores[0] for q, s in zip(QUESTIONS, PARTIALS)]
    for side in ("left", "right"):
        for bs in (1, 2, 8):
            res = make(parts, padding_side=side, batch_size=bs).score(QUESTIONS + [QUESTIONS[0]], PARTIALS + [[]])
            for got, want in zip(res.scores, alone):
                np.testing.assert_allclose(got, want, atol=1e-5, err_msg=f"{side} padding, batch {bs}")
            assert res.scores[3].shape == (0,)


@pytest.mark.parametrize("which", ["rlhflow", "qwen"])
def test_label_positions(which, llama_parts, qwen_parts):
    parts, make = (llama_parts, _rlhflow) if which == "rlhflow" else (qwen_parts, _qwen)
    prm, tok = make(parts), parts[1]
    ids, pos = prm.encode(QUESTIONS[0], PARTIALS[0])
    assert len(pos) == 3 and pos == sorted(pos)
    if which == "rlhflow":  # the token after each label position is the assistant's "+", preceded by its header
        assert [ids[p + 1] for p in pos] == [_ids(tok, "+")[-1]] * 3
        assert all(tok.decode(ids[: p + 1]).endswith("assistant<|end_header_id|>\n\n") for p in pos)
        assert tok.decode(ids[pos[0] + 2 :]).startswith("<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n7 - 2 = 5")
    else:  # the separator itself, right after each step's text
        assert [ids[p] for p in pos] == [_ids(tok, "<extra_0>")[0]] * 3
        assert tok.decode(ids[: pos[0]]).endswith("assistant\n3 + 4 = 7")


@pytest.mark.parametrize("which", ["rlhflow", "qwen"])
def test_truncation_keeps_the_question_and_the_latest_steps_that_fit(which, llama_parts, qwen_parts):
    parts, make = (llama_parts, _rlhflow) if which == "rlhflow" else (qwen_parts, _qwen)
    q = QUESTIONS[1]
    steps = [f"Then add {k}: {10 * k} + {k} = {11 * k}." for k in range(1, 9)]
    full = make(parts)
    lengths = [len(full.encode(q, steps[: j + 1])[0]) for j in range(len(steps))]
    limit = (lengths[2] + lengths[3]) // 2  # the first three steps fit, the whole partial does not
    res = check_step_scores(make(parts, max_length=limit, batch_size=3).score([q], [steps]), [steps], "prm")
    want, read, starts = [], 0, []
    for j in range(len(steps)):  # brute force: the earliest start i whose window [i, j] fits, scored alone
        i = next(i for i in range(j + 1) if len(full.encode(q, steps[i : j + 1])[0]) <= limit)
        want.append(full.score([q], [steps[i : j + 1]]).scores[0][-1])
        starts.append(i)
    assert res.truncated == (max(starts),) and max(starts) > 0  # the steps left out, named for the run's table
    assert full.score([q], [steps]).truncated == (0,)
    np.testing.assert_allclose(res.scores[0], want, atol=1e-5)
    np.testing.assert_allclose(res.scores[0][:3], full.score([q], [steps]).scores[0][:3], atol=1e-5)  # exact where it fits
    assert not np.allclose(res.scores[0][3:], full.score([q], [steps]).scores[0][3:], atol=1e-5)  # context was cut
    with pytest.raises(ValueError, match="step 0 alone is longer than max_length = 20"):
        make(parts, max_length=20).score([q], [steps])


def test_loading_from_a_directory(llama_parts, qwen_parts, tmp_path):
    """The loading path (Auto classes, dtype, device) on the tiny models saved to disk, as a hub id would be."""
    model, tok = llama_parts
    model.save_pretrained(tmp_path / "llama")
    tok.save_pretrained(tmp_path / "llama")
    loaded = RLHFlowPRM(str(tmp_path / "llama"), device="cpu", dtype="float32")
    assert loaded.net.dtype == torch.float32 and loaded.max_length == 512  # max_position_embeddings
    np.testing.assert_allclose(loaded.score(QUESTIONS, PARTIALS).scores[1], _rlhflow(llama_parts).score(QUESTIONS, PARTIALS).scores[1], atol=1e-6)
    qmodel, qtok = qwen_parts
    qmodel.model.save_pretrained(tmp_path / "qwen")  # the backbone alone: AutoModel loads it without a PRM head
    qtok.save_pretrained(tmp_path / "qwen")
    with pytest.raises(ValueError, match=r"2-class logits per token .* got shape \(\d+, \d+, 32\)"):
        QwenMathPRM(str(tmp_path / "qwen"), device="cpu", dtype="float32").score(QUESTIONS, PARTIALS)


def test_errors(llama_parts, qwen_parts):
    with pytest.raises(ValueError, match="padding_side must be"):
        _rlhflow(llama_parts, padding_side="middle")
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        _qwen(qwen_parts, batch_size=0)
    with pytest.raises(ValueError, match="dtype must name a torch dtype"):
        _qwen(qwen_parts, dtype="float12")
    with pytest.raises(ValueError, match="the step 1 contains the step separator"):
        _qwen(qwen_parts).score(["q"], [["a", "b<extra_0>"]])
    assert _rlhflow(llama_parts).model == "Llama-3.1-8B" and _qwen(qwen_parts, flops_model="x").model == "x"


def test_import_ttslib_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, ttslib, ttslib.verifiers; print('torch' in sys.modules or 'transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_the_default_dtype_follows_the_device(llama_parts):
    from ttslib.verifiers.hub import default_dtype

    assert default_dtype(torch.device("cpu"), torch) == "float32"
    prm = _rlhflow(llama_parts)  # no dtype given, on the CPU: float32
    assert prm.settings()["dtype"] == "torch.float32"
