"""The comparisons notebook 00 states about one table, as findings (``ttslib.findings``).

Two sections of the report compare things, and each says so only through a finding the package writes:

- **backtest**: which forecast of coverage at ``k_target`` from the first ``m`` samples of each problem
  comes closer to what all samples measure, the extrapolated power law (Brown et al. 2024,
  arXiv:2407.21787) or the Beta fit's exact ``pass_D@k`` (Schaeffer et al. 2025, arXiv:2502.17578), as in
  ``ttslib.backtest``. The quantity is the forecast's closeness, ``-|predicted - observed|`` (0 is an
  exact forecast, so "ahead" reads as "closer"). Its interval is a paired bootstrap: each replicate
  resamples the problems, draws which of their samples came first again, and fits both laws to that one
  subsample, so the two sides share every source of noise (:func:`backtest_findings`).
- **selection**: the rules against one another and each against pass@n, the oracle above them, at one
  budget n, paired over problems (:func:`selection_findings`), judged as one Holm family. A rule whose
  expectation is a Monte Carlo estimate (``Selection.method == "monte_carlo"``: the weighted vote where N is
  too large to enumerate) is named as one in the finding's range, with its Monte Carlo standard error.

The scaled Beta of ``ttslib.backtest`` is not among the compared forecasts: its fit costs about a second
per replicate, too much for a report's bootstrap.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ttslib.backtest import nested_subsample_counts
from ttslib.beta import fit_beta
from ttslib.checks import bootstrap_weights, canonical_order, check_counts, check_n_boot
from ttslib.coverage import coverage, log_spaced_ks
from ttslib.findings import Finding, bootstrap_finding, family, paired_finding
from ttslib.fit import fit_power_law_curve

__all__ = ["RULE_NAMES", "forecast_errors", "backtest_findings", "selection_findings"]

RULE_NAMES = {"oracle": "pass@n (oracle)", "majority": "majority vote", "best_of_n": "best-of-N", "weighted": "weighted best-of-N"}


def forecast_errors(num_samples, num_correct, *, m: int, k_target: int, rng) -> tuple[float, float]:
    """``(power law error, Beta error)``: predicted minus observed coverage at ``k_target``, both fitted
    on one draw of the first ``m`` samples of each problem (``ttslib.backtest.nested_subsample_counts``).

    The same estimators as ``ttslib.backtest.backtest``: the power law fitted on 40 log-spaced k <= m
    (``fit_power_law_curve``) and extrapolated; the Beta fitted to the m-sample counts by maximum
    likelihood, its exact ``pass_D@k_target``. Every problem needs n >= k_target >= m. NaN where a law
    cannot be fitted (no correct sample among the first m anywhere, or every one correct).
    """
    n, c = check_counts(num_samples, num_correct)
    if not 1 <= m <= k_target or np.any(n < k_target):
        raise ValueError(f"m and k_target must satisfy 1 <= m <= k_target <= every n; got m = {m}, k_target = {k_target}, "
                         f"smallest n = {int(n.min())}")
    order = canonical_order(n, c)
    n, c = n[order], c[order]
    observed = coverage(n, c, k_target)
    c_m = nested_subsample_counts(n, c, (m,), rng=rng)[int(m)]
    if not np.any(c_m > 0) or np.all(c_m == m):
        return np.nan, np.nan
    n_m, ks = np.full(n.size, m), log_spaced_ks(m, 40)
    a, b = fit_power_law_curve(ks, coverage(n_m, c_m, ks))
    power = float(np.exp(a * k_target**b)) - observed if np.isfinite(b) else np.nan
    beta = float(fit_beta(n_m, c_m, n_boot=0).coverage(k_target)) - observed
    return power, beta


def backtest_findings(num_samples, num_correct, *, m: int, k_target: int, n_boot: int = 200, seed: int = 0,
                      level: float = 0.95) -> Finding:
    """The Beta's forecast against the power law's: closeness ``-|error|`` at ``k_target`` from the first
    ``m`` samples, with a paired bootstrap interval (module docstring).

    Parameters
    ----------
    num_samples, num_correct : (P,) counts per problem; every n >= k_target
    m, k_target : samples per problem the fits see, and the budget they forecast
    n_boot : bootstrap replicates (each one resample of problems and one draw of the first m samples)
    seed : the point estimate draws its subsample as ``ttslib.backtest.backtest(..., seed=seed)`` does;
        the replicates use ``seed`` for the resamples and ``seed + 1`` for their draws

    Returns
    -------
    Finding
        "Beta" minus "power law"; raises ``ValueError`` if either law cannot be fitted on the point draw.
    """
    n, c = check_counts(num_samples, num_correct)
    check_n_boot(n_boot)
    order = canonical_order(n, c)
    n, c = n[order], c[order]
    power, beta = forecast_errors(n, c, m=m, k_target=k_target, rng=np.random.default_rng(seed))
    if not (np.isfinite(power) and np.isfinite(beta)):
        raise ValueError(f"the first m = {m} samples leave a law that cannot be fitted (power law error {power}, Beta error {beta})")
    weights, rng = bootstrap_weights(n.size, n_boot, seed).astype(np.int64), np.random.default_rng(seed + 1)
    boot = np.array([forecast_errors(n[rows], c[rows], m=m, k_target=k_target, rng=rng)
                     for rows in (np.repeat(np.arange(n.size), w) for w in weights)])  # (B, 2)
    return bootstrap_finding(-abs(beta), -abs(power), -np.abs(boot[:, 1]), -np.abs(boot[:, 0]), a="Beta", b="power law",
                             quantity=f"forecast closeness -|predicted - observed| of coverage at k = {k_target} (0: exact)",
                             range=f"both laws fitted on the first {m} samples per problem",
                             num_problems=n.size, level=level)


def selection_findings(rules: dict, n: int, *, num_draws: int | None = None, level: float = 0.95) -> list[Finding]:
    """Every pair of selection rules at budget ``n``, paired over problems, judged as one Holm family.

    ``rules`` is ``{name: ttslib.selection.Selection}`` on the same problems (as
    ``ttslib.report.selection_rules`` returns it, "oracle" first). The rules other than the oracle are
    compared with one another in the order given (earlier minus later), then the oracle with each.
    ``num_draws``: the Monte Carlo orders per problem a ``"monte_carlo"`` rule was computed with (as passed
    to ``selection_rules``), named in the range of the findings that involve such a rule; None leaves it out.
    Returns the findings of the family, in that order; none if fewer than two rules.
    """
    names = [name for name in rules if name != "oracle"]
    pairs = list(combinations(names, 2)) + ([("oracle", name) for name in names] if "oracle" in rules else [])
    if not pairs:
        return []
    found = [paired_finding(rules[a].at(n), rules[b].at(n), a=RULE_NAMES.get(a, str(a)), b=RULE_NAMES.get(b, str(b)),
                            quantity="expected accuracy over n-subsets of each problem's samples",
                            range="; ".join([f"n = {n}"] + [_estimated(name, rules[name], n, num_draws) for name in (a, b)
                                                            if rules[name].method != "exact"]), level=level)
             for a, b in pairs]
    return family(found)


def _estimated(name, selection, n: int, num_draws: int | None) -> str:
    """How a Monte Carlo rule's expectation was estimated, as a finding's range says it."""
    draws = f"{num_draws} random orders of each problem's samples" if num_draws else "random orders of each problem's samples"
    se = float(selection.accuracy_se[selection.column(n)])
    if se == 0:  # e.g. n = N, where every order holds all of a problem's samples
        return f"{RULE_NAMES.get(name, str(name))} a Monte Carlo estimate over {draws}, each of which gave every problem the same value"
    return f"{RULE_NAMES.get(name, str(name))} a Monte Carlo estimate over {draws} (Monte Carlo standard error of its mean: {se:.2g})"
