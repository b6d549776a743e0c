"""Adaptive budgets replayed on a fixed pool of samples: how many samples each problem really needs.

Arrays in, no model. A pool holds N samples per problem (``make_pool``); each rule is replayed on
uniformly random orders of it and returns, per problem, its expected accuracy and its expected
cost in samples and tokens (``RuleResult``), exactly where a closed form exists, else as a Monte
Carlo mean over orders with its standard error. Modules, one idea each:

* ``pool``: the pool and the result records; ``confidence``: DeepConf's token and group confidence;
* ``orders``: random orders per problem and the running statistics of their prefixes;
* ``stopping``: ESC (arXiv:2401.10480), Adaptive-Consistency (arXiv:2305.11860), shortest majority
  vote (arXiv:2502.12215), fixed-budget majority, and the oracle bound;
* ``deepconf``: DeepConf offline and online (arXiv:2508.15260);
* ``allocation``: a global budget shared across problems in two stages (AdaBoN-like, arXiv:2505.12050);
* ``replay``: every rule on the same orders, in blocks of problems, and one function per rule.

Each rule's settings are a small frozen record with range checks (``ESC(window=5)``), so a policy
can hold them as a strategy's settings.
"""

from ttslib.adaptive.allocation import TwoStage, allocate
from ttslib.adaptive.confidence import confidence_lows, group_confidence, lowest_group_confidence, token_confidence
from ttslib.adaptive.deepconf import DeepConfOffline, DeepConfOnline
from ttslib.adaptive.pool import Pool, RuleResult, make_pool
from ttslib.adaptive.replay import (adaptive_consistency, deepconf_offline, deepconf_online, esc, fixed_majority,
                                    oracle_bound, replay, shortest_majority, two_stage)
from ttslib.adaptive.stopping import (ESC, AdaptiveConsistency, FixedMajority, OracleBound, ShortestMajority,
                                      ac_stop_probability)

__all__ = ["Pool", "RuleResult", "make_pool", "token_confidence", "group_confidence", "lowest_group_confidence",
           "confidence_lows", "ESC", "AdaptiveConsistency", "ShortestMajority", "FixedMajority", "OracleBound",
           "DeepConfOffline", "DeepConfOnline", "TwoStage", "allocate", "ac_stop_probability", "replay", "esc",
           "adaptive_consistency", "shortest_majority", "fixed_majority", "oracle_bound", "deepconf_offline",
           "deepconf_online", "two_stage"]
