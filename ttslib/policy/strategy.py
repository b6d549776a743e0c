"""A strategy as a record: every setting that changes what it returns, and the verifier it uses, also a record.

A :class:`Strategy` holds its method (``oracle``, ``majority``, ``best_of_n``, ``weighted``,
``beam_search``, ``dvts``, ``particle_filtering``, ``rebase``), the verifier that scores it (a :class:`VerifierSpec`), how a solution's step
scores become one score (``aggregate``: last, min, prod or mean), for a search its beam width M,
lookahead, DVTS variant and the rule that picks one of its N candidates (for particle filtering and REBASE,
instead of M, their settings record, ``scheme``: ``ttslib.particles.ParticleFilter`` or ``Rebase``), and for a sampling rule its
adaptive ``stop`` rule: one of the settings records of ``ttslib.adaptive`` (issue 31), None for a fixed
budget, and for majority vote its sequential half, ``revisions``: a ``ttslib.sequential.Revisions`` record
(chains of r rounds, the feedback, how a chain's answer is chosen; issue 32), None for independent samples.
With revisions, n is the budget in attempts: n / r chains of r rounds each.

Adaptive rules. ESC, Adaptive-Consistency and shortest majority vote are rules of majority vote
(``Strategy("majority", stop=ESC(window=5))``); DeepConf offline and online vote weighted by each trace's
lowest group confidence (``Strategy("weighted", VerifierSpec.group_confidence(), stop=DeepConfOnline())``).
:meth:`Strategy.adaptive` builds either from the rule alone. Three records of ``ttslib.adaptive`` are no
stop rule: ``FixedMajority`` is ``Strategy("majority")`` itself; ``OracleBound`` returns the full pool's
answer with hindsight (a bound, not a rule one can run); ``TwoStage`` shares one budget across problems,
so its value on a problem depends on which problems share it, and a per-bin choice, which gives each bin
its own rule, cannot hold it.

Conventions. Settings that do not apply to a method are None (a sampling rule has no beam width; majority
vote and the oracle no verifier); settings that apply take their default when not given (aggregate
"last", lookahead 0, variant "kit", select "weighted"). Records order by their fields in declaration
order, which is the order ``ttslib.policy`` breaks exact ties in; ``stop`` orders None (a fixed budget)
first, then by the rule's class name, then its settings in declaration order (None, the pool's N or
"never", after numbers). :attr:`Strategy.label` and ``str`` are for display only: nothing in the kit reads
a label back into a record.

Bad input raises ValueError (a setting out of its set, a setting for a method it does not apply to) or
TypeError (a verifier that is not a :class:`VerifierSpec`, a stop rule that is not a ``ttslib.adaptive``
settings record).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import total_ordering

import numpy as np

POOL_METHODS = ("oracle", "majority", "best_of_n", "weighted")
SEARCH_METHODS = ("beam_search", "dvts", "particle_filtering", "rebase")
BEAM_METHODS = ("beam_search", "dvts")  # the searches with a beam width M
AGGREGATES = ("last", "min", "prod", "mean")
SELECT_RULES = ("weighted", "best_of_n", "majority")
DVTS_VARIANTS = ("kit", "sal")
VERIFIER_KINDS = ("step_checker", "confidence", "confidence_min", "group_confidence", "noisy", "recorded")
VERIFIED_METHODS = ("best_of_n", "weighted", *SEARCH_METHODS)


@dataclass(frozen=True, order=True)
class VerifierSpec:
    """A verifier as a record: its kind and the settings of that kind.

    Kinds: ``step_checker`` (the exact checker of the kit's chains), ``confidence`` and ``confidence_min``
    (the model's own mean or minimum token probability per step), ``group_confidence`` (DeepConf's lowest
    group confidence of a trace, arXiv:2508.15260, as a ``ttslib.adaptive`` pool holds it), ``noisy`` (the checker blurred to a
    ROC ``auc`` in [0.5, 1) with noise ``seed``), and ``recorded``: a verifier known only by the ``name`` a
    table records (a model PRM, a pool's ``"default"``). Build them with the class methods.
    """

    kind: str
    auc: float | None = None
    seed: int | None = None
    name: str | None = None

    def __post_init__(self):
        if self.kind not in VERIFIER_KINDS:
            raise ValueError(f"kind must be one of {VERIFIER_KINDS}; got {self.kind!r}")
        if self.kind == "noisy":
            auc = self.auc
            if isinstance(auc, bool) or not isinstance(auc, (int, float, np.integer, np.floating)) or not 0.5 <= auc < 1:
                raise ValueError(f"a noisy verifier's auc must be a number in [0.5, 1); got {auc!r}")
            seed = 0 if self.seed is None else self.seed
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
                raise ValueError(f"a noisy verifier's seed must be an int >= 0; got {self.seed!r}")
            object.__setattr__(self, "auc", float(auc))
            object.__setattr__(self, "seed", int(seed))
        elif self.auc is not None or self.seed is not None:
            raise ValueError(f"auc and seed are settings of a noisy verifier, not of {self.kind!r}")
        if self.kind == "recorded":
            if not isinstance(self.name, str) or not self.name:
                raise ValueError(f"a recorded verifier needs its name, a non-empty str; got {self.name!r}")
        elif self.name is not None:
            raise ValueError(f"name is the setting of a recorded verifier, not of {self.kind!r}")

    @classmethod
    def step_checker(cls) -> VerifierSpec:
        """The exact step checker."""
        return cls("step_checker")

    @classmethod
    def confidence(cls, kind: str = "mean") -> VerifierSpec:
        """The model's confidence per step: ``"mean"`` or ``"min"`` token probability."""
        if kind not in ("mean", "min"):
            raise ValueError(f"kind must be 'mean' or 'min'; got {kind!r}")
        return cls("confidence" if kind == "mean" else "confidence_min")

    @classmethod
    def group_confidence(cls) -> VerifierSpec:
        """DeepConf's score of a trace: its lowest group confidence (the pool's ``confidence``, ``ttslib.adaptive``)."""
        return cls("group_confidence")

    @classmethod
    def noisy(cls, auc: float, seed: int = 0) -> VerifierSpec:
        """The step checker blurred to ROC AUC ``auc`` with noise ``seed``."""
        return cls("noisy", auc=auc, seed=seed)

    @classmethod
    def recorded(cls, name: str) -> VerifierSpec:
        """A verifier known only by the name a table records."""
        return cls("recorded", name=name)

    @property
    def label(self) -> str:
        """Display label, also the name of its ``step_scores_<label>`` column: ``"noisy_auc0.80"``, ``"noisy_auc0.80_seed3"``."""
        if self.kind == "noisy":
            return f"noisy_auc{self.auc:.2f}" + (f"_seed{self.seed}" if self.seed else "")
        return self.name if self.kind == "recorded" else self.kind

    def __str__(self) -> str:
        return self.label


@total_ordering
@dataclass(frozen=True)
class Strategy:
    """Every setting that changes what a strategy returns (module docstring)."""

    method: str
    verifier: VerifierSpec | None = None
    aggregate: str | None = None  # step scores -> one score: "last" (default where a verifier is used), "min", "prod", "mean"
    beam_width: int | None = None  # search: M
    lookahead: int | None = None  # beam search: greedy steps rolled before scoring (0 default)
    variant: str | None = None  # dvts: "kit" (default) or "sal" (search-and-learn's)
    select: str | None = None  # search: the rule picking one of its N candidates ("weighted" default)
    stop: object | None = None  # sampling: an adaptive rule, a ttslib.adaptive settings record (ESC(window=5), ...); None: fixed n
    revisions: object | None = None  # majority vote over chains of revisions: a ttslib.sequential.Revisions record; None: independent samples
    scheme: object | None = None  # particle filtering / REBASE: a ttslib.particles.ParticleFilter / Rebase record (default settings if None)

    def __post_init__(self):
        m, set_ = self.method, object.__setattr__
        if m not in POOL_METHODS + SEARCH_METHODS:
            raise ValueError(f"method must be one of {POOL_METHODS + SEARCH_METHODS}; got {m!r}")
        if self.verifier is not None and not isinstance(self.verifier, VerifierSpec):
            raise TypeError(f"verifier must be a VerifierSpec (e.g. VerifierSpec.noisy(0.8)) or None; got {self.verifier!r}")
        if m in VERIFIED_METHODS:
            if self.verifier is None:
                raise ValueError(f"strategy {m!r} needs a verifier")
            set_(self, "aggregate", self.aggregate or "last")
        elif self.verifier is not None or self.aggregate is not None:
            raise ValueError(f"strategy {m!r} uses no verifier; got verifier={self.verifier!r}, aggregate={self.aggregate!r}")
        if self.aggregate is not None and self.aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {AGGREGATES}; got {self.aggregate!r}")
        if self.stop is not None:
            _check_stop(self)
        if self.revisions is not None:
            from ttslib.sequential import Revisions  # here: only a caller holding such a record needs it

            if not isinstance(self.revisions, Revisions):
                raise TypeError(f"revisions must be a ttslib.sequential.Revisions record or None; got {self.revisions!r}")
            if m != "majority" or self.stop is not None:
                raise ValueError(f"revisions are a setting of majority vote over chains (no stop rule); got method {m!r}"
                                 + (f", stop {stop_label(self.stop)}" if self.stop is not None else ""))
        if m not in SEARCH_METHODS:
            if any(x is not None for x in (self.beam_width, self.lookahead, self.variant, self.select, self.scheme)):
                raise ValueError(f"beam_width, lookahead, variant, select and scheme are settings of a search, not of {m!r}")
            return
        set_(self, "select", self.select or "weighted")
        if self.select not in SELECT_RULES:
            raise ValueError(f"select must be one of {SELECT_RULES}; got {self.select!r}")
        if m not in BEAM_METHODS:
            from ttslib.particles import ParticleFilter, Rebase  # here: only a caller holding such a record needs them

            kind = ParticleFilter if m == "particle_filtering" else Rebase
            set_(self, "scheme", kind() if self.scheme is None else self.scheme)
            if not isinstance(self.scheme, kind):
                raise TypeError(f"{m}'s scheme must be a ttslib.particles.{kind.__name__} record or None; got {self.scheme!r}")
            if any(x is not None for x in (self.beam_width, self.lookahead, self.variant)):
                raise ValueError(f"beam_width, lookahead and variant are settings of beam search and DVTS, not of {m!r}")
            return
        if self.scheme is not None:
            raise ValueError(f"scheme is a setting of particle filtering and REBASE, not of {m!r}")
        if isinstance(self.beam_width, bool) or not isinstance(self.beam_width, (int, np.integer)) or self.beam_width < 1:
            raise ValueError(f"a search strategy needs beam_width (M) an int >= 1; got {self.beam_width!r}")
        set_(self, "beam_width", int(self.beam_width))
        set_(self, "lookahead", int(self.lookahead or 0))
        if m == "dvts":
            set_(self, "variant", self.variant or "kit")
            if self.variant not in DVTS_VARIANTS:
                raise ValueError(f"variant must be one of {DVTS_VARIANTS}; got {self.variant!r}")
        elif self.variant is not None:
            raise ValueError("variant is a setting of DVTS")
        if self.lookahead < 0 or (self.lookahead and m != "beam_search"):
            raise ValueError(f"lookahead must be >= 0, and 0 unless beam search; got {self.lookahead} for {m}")

    @classmethod
    def adaptive(cls, rule) -> Strategy:
        """The strategy of an adaptive rule (a ``ttslib.adaptive`` settings record): majority vote stopped by
        ESC, Adaptive-Consistency or shortest majority; DeepConf's vote weighted by group confidence."""
        from ttslib.adaptive import DeepConfOffline, DeepConfOnline  # here: only a caller holding such a record needs them

        if isinstance(rule, (DeepConfOffline, DeepConfOnline)):
            return cls("weighted", VerifierSpec.group_confidence(), stop=rule)
        return cls("majority", stop=rule)

    def _order_key(self) -> tuple:
        return (self.method, self.verifier, self.aggregate, self.beam_width, self.lookahead, self.variant, self.select,
                _stop_key(self.stop), () if self.revisions is None else (self.revisions.rounds, self.revisions.feedback,
                                                                         self.revisions.answer),
                () if self.scheme is None else (type(self.scheme).__name__, self.scheme))

    def __lt__(self, other):
        if not isinstance(other, Strategy):
            return NotImplemented
        return self._order_key() < other._order_key()

    @property
    def label(self) -> str:
        """Display label ``method[/verifier][ (settings that differ from the defaults; M always for a search)]``."""
        opts = [f"M={self.beam_width}"] if self.beam_width is not None else []
        opts += [f"lookahead={self.lookahead}"] if self.lookahead else []
        opts += [f"aggregate={self.aggregate}"] if self.aggregate not in (None, "last") else []
        opts += [f"variant={self.variant}"] if self.variant not in (None, "kit") else []
        opts += [f"select={self.select}"] if self.select not in (None, "weighted") else []
        opts += [f"stop={stop_label(self.stop)}"] if self.stop is not None else []
        opts += [f"revisions={self.revisions}"] if self.revisions is not None else []
        opts += [str(self.scheme)] if self.scheme is not None else []
        head = self.method + (f"/{self.verifier.label}" if self.verifier is not None else "")
        return head + (f" ({', '.join(opts)})" if opts else "")

    def __str__(self) -> str:
        return self.label


def stop_label(rule) -> str:
    """A stop rule as labels show it: its class and the settings that are not None, ``"ESC(window=5)"``."""
    shown = [f"{f.name}={getattr(rule, f.name):g}" for f in fields(rule) if getattr(rule, f.name) is not None]
    return f"{type(rule).__name__}({', '.join(shown)})"


def _stop_key(rule) -> tuple:
    """Sort key of a stop rule: none first, then class name, then settings in declaration order (None last)."""
    if rule is None:
        return ()
    return (type(rule).__name__, *((getattr(rule, f.name) is None, getattr(rule, f.name) or 0) for f in fields(rule)))


def _check_stop(s: Strategy) -> None:
    """ValueError / TypeError unless ``s.stop`` is a stop rule that applies to ``s.method`` (module docstring)."""
    from ttslib.adaptive import (ESC, AdaptiveConsistency, DeepConfOffline, DeepConfOnline, FixedMajority, OracleBound,
                                 ShortestMajority, TwoStage)  # here: only a caller holding such a record needs them

    rule = s.stop
    refused = {FixedMajority: "FixedMajority(n) is Strategy('majority') at n itself",
               OracleBound: "OracleBound returns the full pool's answer with hindsight: a bound, not a rule one can run",
               TwoStage: "TwoStage shares one budget across problems, so its value on a problem depends on which problems "
                         "share it: a per-bin choice cannot hold it (replay it on its own)"}
    if type(rule) in refused:
        raise ValueError(f"stop {rule!r} is no stop rule of a strategy: {refused[type(rule)]}")
    majority, confidence = (ESC, AdaptiveConsistency, ShortestMajority), (DeepConfOffline, DeepConfOnline)
    if not isinstance(rule, majority + confidence):
        raise TypeError(f"stop must be a ttslib.adaptive settings record ({', '.join(c.__name__ for c in majority + confidence)}) "
                        f"or None; got {rule!r}")
    if isinstance(rule, majority) and s.method != "majority":
        raise ValueError(f"stop {stop_label(rule)} is a rule of majority vote: it needs method 'majority'; got {s.method!r}")
    if isinstance(rule, confidence) and (s.method != "weighted" or s.verifier != VerifierSpec.group_confidence()
                                         or s.aggregate != "last"):
        raise ValueError(f"stop {stop_label(rule)} votes weighted by each trace's group confidence: it needs method 'weighted' "
                         f"with verifier VerifierSpec.group_confidence() and aggregate 'last'; got method {s.method!r}, "
                         f"verifier {s.verifier}, aggregate {s.aggregate!r}")
