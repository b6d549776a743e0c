"""Prompt templates: ``{question}`` marks where the problem goes; literal braces are doubled.

Few-shot plain prompts suit small base-like models (SmolLM2-135M solves far more with them than
with its chat template, measured on this project's machines); instruct models of real size do well
with ``math_boxed``. Each entry names the stop strings and the grading style that go with it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PromptStyle", "PROMPTS"]


@dataclass(frozen=True)
class PromptStyle:
    template: str
    stop: tuple[str, ...]
    grade_style: str  # passed to ttslib.grade
    step_delimiter: str | None = None  # what ends one reasoning step, for step-level search (ttslib.search)


# Two solved functions before a HumanEval prompt: without them SmolLM2-135M answers in prose (0 of 320
# samples right on the first 40 problems), with them it writes a body (a pilot, issue 22).
CODE_FEWSHOT = (
    "def add(a: int, b: int) -> int:\n"
    '    """Return the sum of a and b.\n    >>> add(2, 3)\n    5\n    """\n'
    "    return a + b\n\n\n"
    "def count_vowels(text: str) -> int:\n"
    '    """Count the vowels in text.\n    >>> count_vowels("hello")\n    2\n    """\n'
    '    return sum(1 for ch in text.lower() if ch in "aeiou")\n\n\n'
)

PROMPTS = {
    # bare arithmetic as equations, eight solved examples, one line per answer; the problem set's
    # question is the expression ("23 + 4"). Far better for SmolLM2-135M than "Q: What is ...? A:"
    # (a pilot at T = 0.8: one-digit sums 0.8-1.0 here against 0.2-0.6).
    "arith_fewshot": PromptStyle(
        template="2 + 3 = 5\n6 + 1 = 7\n7 - 4 = 3\n9 + 0 = 9\n12 + 5 = 17\n3 * 4 = 12\n4 + 4 = 8\n25 + 1 = 26\n{question} =",
        stop=("\n",),
        grade_style="last_number",
    ),
    # chains of sums and differences ("3 + 4 - 2", ttslib.problems.make_chains), one operation per line
    # and a final "Answer: N" line; seven worked examples of 1 to 3 operations. A pilot on SmolLM2-135M
    # (T = 0.8, 16 samples, 4 problems per level) measured pass@1 0.48 on two-term sums with this
    # prompt against 0.09 with only three examples (1, 2 and 3 operations): the one-operation examples
    # teach it to stop. The step delimiter is the newline, so search scores one operation at a time.
    "chain_fewshot": PromptStyle(
        template=(
            "Q: 6 + 1\n6 + 1 = 7\nAnswer: 7\n\n"
            "Q: 2 + 3 + 1\n2 + 3 = 5\n5 + 1 = 6\nAnswer: 6\n\n"
            "Q: 5 - 2\n5 - 2 = 3\nAnswer: 3\n\n"
            "Q: 4 + 1 + 3\n4 + 1 = 5\n5 + 3 = 8\nAnswer: 8\n\n"
            "Q: 8 - 3 + 2 + 4\n8 - 3 = 5\n5 + 2 = 7\n7 + 4 = 11\nAnswer: 11\n\n"
            "Q: 3 + 4\n3 + 4 = 7\nAnswer: 7\n\n"
            "Q: 9 - 2 + 6 - 4\n9 - 2 = 7\n7 + 6 = 13\n13 - 4 = 9\nAnswer: 9\n\n"
            "Q: {question}\n"
        ),
        stop=("\n\n", "\nQ:"),
        grade_style="answer_is",
        step_delimiter="\n",
    ),
    # GSM8K, two worked examples in the style of Wei et al. 2022 (arXiv:2201.11903), ending "The answer is N."
    "gsm8k_fewshot": PromptStyle(
        template=(
            "Question: There are 15 trees in the grove. Grove workers will plant trees in the grove today. "
            "After they are done, there will be 21 trees. How many trees did the grove workers plant today?\n"
            "Answer: There are 15 trees originally. Then there were 21 trees after some more were planted. "
            "So there must have been 21 - 15 = 6. The answer is 6.\n\n"
            "Question: Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they "
            "have left in total?\n"
            "Answer: Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. "
            "After eating 35, they had 74 - 35 = 39. The answer is 39.\n\n"
            "Question: {question}\nAnswer:"
        ),
        stop=("\n\nQuestion:", "\nQuestion:"),
        grade_style="answer_is",
    ),
    # HumanEval: the few-shot functions, then the problem's signature and docstring; the model writes the
    # body and stops at the next top-level statement. Graded by running it (ttslib.codegrade).
    "humaneval_fewshot": PromptStyle(
        template=CODE_FEWSHOT + "{question}",
        stop=("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert "),
        grade_style="code",
    ),
    # MATH-style, the instruction search-and-learn gives its policy (final answer boxed)
    "math_boxed": PromptStyle(
        template=(
            "Solve the following math problem efficiently and clearly. Think step by step, separating steps "
            "with a blank line, and end with: Therefore, the final answer is: $\\boxed{{answer}}$.\n\n"
            "Problem: {question}\n\nSolution:"
        ),
        stop=(),
        grade_style="boxed",
        step_delimiter="\n\n",  # search-and-learn's steps: a blank line ends one
    ),
}
