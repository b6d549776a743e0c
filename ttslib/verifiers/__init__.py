"""Verifiers that score each step of partial solutions, for step-level search and best-of-N.

One protocol (:mod:`ttslib.verifiers.base`): ``verifier.score(questions, partials) -> StepScores``,
one score in [0, 1] per step and the tokens the verifier read. The verifiers:

=====================  ==========================================================  ===============
class                  what it scores                                               cost
=====================  ==========================================================  ===============
``StepChecker``        exact prefix-correctness of a chain step (1.0 / 0.0)         free
``NoisyVerifier``      the checker's verdict blurred to a chosen ROC AUC            free
``ModelConfidence``    exp(mean token log-probability) of the step, by the policy  free (recorded)
``GenerativeJudge``    P(" Yes") of the embedded model asked "is this step right?"  prefilled tokens
``RLHFlowPRM``         RLHFlow/Llama3.1-8B-PRM-Deepseek-Data, P("+") per step       tokens read
``QwenMathPRM``        Qwen/Qwen2.5-Math-PRM-7B, positive class at each separator   tokens read
=====================  ==========================================================  ===============

The hub PRMs import ``torch`` and ``transformers`` (``pip install -e .[prm]``) only when built, so
``import ttslib.verifiers`` stays light.
"""

from ttslib.verifiers.base import StepScores, Verifier, check_step_scores, roc_auc
from ttslib.verifiers.checker import NoisyVerifier, StepChecker, chain_step_verdicts, parse_chain
from ttslib.verifiers.hub import QwenMathPRM, RLHFlowPRM
from ttslib.verifiers.model import GenerativeJudge, ModelConfidence, sample_confidence

__all__ = [
    "StepScores",
    "Verifier",
    "check_step_scores",
    "roc_auc",
    "StepChecker",
    "NoisyVerifier",
    "parse_chain",
    "chain_step_verdicts",
    "ModelConfidence",
    "sample_confidence",
    "GenerativeJudge",
    "RLHFlowPRM",
    "QwenMathPRM",
]
