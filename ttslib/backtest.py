"""Backtest of the scaling-law fits: fit on the first m samples, predict coverage at a larger budget.

Only counts are stored, not the order of samples. If samples are exchangeable (drawn i.i.d.), the
first m of a problem are a uniformly random m-subset, so the number correct among them is
``Hypergeometric(n, c, m)``; and "the first 100" lie inside "the first 1000", so for several m the
draws are nested: ``c_1000 ~ Hypergeometric(n, c, 1000)``, then ``c_100 ~ Hypergeometric(1000,
c_1000, 100)``, whose joint law is that of the first 100 and 1000 samples of one random order.
The estimators compared are those of Schaeffer et al. 2025 (arXiv:2502.17578): the power law of
Brown et al. 2024 (arXiv:2407.21787) extrapolated, and the Beta fits' exact ``pass_D@k``.

Which samples came first is not recorded, so one draw is one of many equally likely backtests.
:func:`compare_forecasts` judges two estimators over several draws (seeds), paired by draw: in each
draw both forecast from the same first m samples, so the draw-to-draw noise they share cancels.
That interval holds that noise only; the problems and models stay the ones given, so it carries no verdict
on estimators in general. With ``over="units"`` the unit is the backtest (a model) instead: each model's
error is its mean over the draws, and the two estimators are compared paired over the models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import binomtest
from scipy.stats import t as student_t

from ttslib.checks import canonical_order, check_counts, check_ks, check_level
from ttslib.coverage import coverage, log_spaced_ks
from ttslib.beta import fit_beta
from ttslib.findings import POWER, Finding
from ttslib.fit import fit_power_law_curve

__all__ = ["subsample_counts", "nested_subsample_counts", "backtest", "compare_forecasts"]


def subsample_counts(num_samples, num_correct, m: int, *, rng) -> np.ndarray:
    """Correct samples among the first ``m`` of each problem: ``Hypergeometric(n, c, m)``, (P,).

    ``rng`` is a ``numpy.random.Generator``. Every problem needs n >= m.
    """
    return nested_subsample_counts(num_samples, num_correct, (m,), rng=rng)[int(m)]


def nested_subsample_counts(num_samples, num_correct, ms, *, rng) -> dict[int, np.ndarray]:
    """Correct samples among the first m of each problem for every m in ``ms``, nested: {m: (P,)}.

    Drawn from the largest m down, each from the one above it (module docstring), so the counts
    of a smaller m never exceed those of a larger one and its wrong samples never exceed theirs.
    """
    n, c = check_counts(num_samples, num_correct)
    sizes = sorted(set(check_ks(ms, "m").tolist()), reverse=True)
    if np.any(n < sizes[0]):
        raise ValueError(f"subsampling needs n >= m = {sizes[0]} for every problem; smallest n is {int(n.min())}")
    order = canonical_order(n, c)  # draws in the canonical order of problems, returned in the order given
    out, above_n, above_c = {}, n[order].astype(np.int64), c[order].astype(np.int64)
    for m in sizes:
        above_c = rng.hypergeometric(above_c, above_n - above_c, m)
        above_n = np.full_like(above_n, m)
        out[m] = np.empty_like(above_c)
        out[m][order] = above_c
    return out


def backtest(num_samples, num_correct, *, m=(100, 1000), k_target=10_000, seed=0) -> pd.DataFrame:
    """Fit on the first m samples per problem, predict coverage at ``k_target``, compare with what was seen.

    Only problems with n >= k_target enter (there the observed coverage is the unbiased estimate).
    For each m, three estimators see the same subsample (``nested_subsample_counts``: the first 100
    lie inside the first 1000): the power law fitted to its coverage on 40 log-spaced k <= m and
    extrapolated, and the Beta and scaled Beta fitted to its counts, whose exact pass_D@k_target is
    the prediction (arXiv:2502.17578).

    Returns a table with one row per (m, estimator): ``m, estimator`` ('power law' | 'beta' |
    'scaled beta'), ``predicted, observed, error`` (predicted - observed coverage at k_target),
    ``exponent`` (b; for the Betas, b of a power law fitted to their exact curve on the k of
    ``observed_exponent``), ``observed_exponent`` (b fitted to all samples on 40 log-spaced k <=
    k_target), ``num_problems``, ``status`` ('ok', or why there is no prediction: then NaN).
    """
    n, c = check_counts(num_samples, num_correct)
    keep = n >= k_target
    if not np.any(keep):
        raise ValueError(f"backtest needs problems with n >= k_target = {k_target}; the largest n is {int(n.max())}")
    n, c = n[keep], c[keep]
    order = canonical_order(n, c)  # every draw and sum in the canonical order of problems
    n, c = n[order], c[order]
    ks = log_spaced_ks(k_target, 40)
    observed, observed_b = coverage(n, c, k_target), float(fit_power_law_curve(ks, coverage(n, c, ks))[1])
    subsamples, rows = nested_subsample_counts(n, c, m, rng=np.random.default_rng(seed)), []
    for size in m:
        c_m, n_m, ks_m = subsamples[int(size)], np.full(n.size, size), log_spaced_ks(size, 40)
        for estimator in ("power law", "beta", "scaled beta"):
            predicted = exponent = np.nan
            if not np.any(c_m > 0) or np.all(c_m == size):
                status = f"every problem has c = 0 (or every c = m) in the first {size} samples"
            elif estimator == "power law":
                a, b = fit_power_law_curve(ks_m, coverage(n_m, c_m, ks_m))
                predicted, exponent = float(np.exp(a * k_target**b)), float(b)
                status = "ok" if np.isfinite(b) else "coverage not strictly between 0 and 1 at two k"
            else:
                fit = fit_beta(n_m, c_m, scaled=estimator == "scaled beta", n_boot=0)
                predicted, exponent, status = float(fit.coverage(k_target)), fit.power_law(ks)[1], "ok"
            rows.append(dict(m=size, estimator=estimator, predicted=predicted, observed=observed,
                             error=predicted - observed, exponent=exponent, observed_exponent=observed_b,
                             num_problems=int(n.size), status=status))
    return pd.DataFrame(rows)


_TARGETS = {  # what= -> (absolute error column pair, how the sentence names the target)
    "coverage": (("predicted", "observed"), "coverage at k = {k}"),
    "exponent": (("exponent", "observed_exponent"), "exponent b on k <= {k}"),
}


def compare_forecasts(draws: pd.DataFrame, a: str, b: str, *, m: int, k_target: int, num_problems: int, what: str = "coverage",
                      unit: Sequence[str] = ("model",), level: float = 0.95, over: str = "draws",
                      unit_name: str = "backtests") -> Finding:
    """How much closer estimator ``a``'s forecasts come than ``b``'s, paired over draws of the first m samples
    (``over="draws"``) or over the backtests, one per ``unit`` (``over="units"``).

    For each draw d: ``E_d(x)``, the mean over backtests (one per ``unit``: a model, a task) of the absolute
    error of estimator x (``|predicted - observed|`` for ``what="coverage"``, ``|exponent - observed_exponent|``
    for ``what="exponent"``). The finding is on closeness, minus that error: ``a - b`` is ``E_d(b) - E_d(a)``
    averaged over the D draws, positive where a's forecasts come closer. Its interval is the paired t
    interval over draws, ``mean +- t_{D-1} se`` (Student 1908: with a handful of draws the normal quantile
    would be too narrow); the p-value is the same t test's, and the detectable difference
    ``(t_{D-1, (1+level)/2} + t_{D-1, power}) se``.

    Parameters
    ----------
    draws : stacked :func:`backtest` tables, each with the columns in ``unit`` and a ``draw`` column (its seed)
    a, b : estimators, as in the ``estimator`` column ('power law', 'beta', 'scaled beta')
    m : the backtest's first-m rows to compare
    k_target : the target budget the backtests were run with (for the sentence)
    num_problems : how many problems the targets rest on (for the sentence; they are held fixed, the interval's
        unit is the draw)
    what : "coverage" or "exponent"
    unit : columns that name one backtest
    level : the interval's coverage
    over : "draws" (above) or "units": for each backtest (one per ``unit``, e.g. a model) ``e_u(x)``, the
        mean over the draws where both forecast of x's absolute error; the finding is ``e_u(b) - e_u(a)``
        averaged over the U backtests forecast by both in at least one draw, with the paired t interval over
        those U (``t_{U-1}``). The range also counts the backtests where a's error is the smaller and gives
        the exact two-sided sign test over those that differ (Conover 1999, sec. 3.4).
    unit_name : what the sentence calls the backtests (``over="units"``), e.g. "models"

    In each draw, the backtests where both estimators forecast enter (a backtest without a forecast, e.g.
    no success in its first m samples, has none from any estimator in that draw, so the two stay paired);
    which backtests those are can change from draw to draw, as the draws themselves do, and the range
    counts them. Raises ``ValueError`` for a missing column, two rows for one backtest, draw and estimator,
    an unknown estimator or ``what``, fewer than 2 draws, or a draw with no backtest forecast by both,
    an unknown ``over``, or (``over="units"``) fewer than 2 backtests forecast by both.
    """
    level = check_level(level)
    if over not in ("draws", "units"):
        raise ValueError(f"over must be 'draws' or 'units'; got {over!r}")
    if what not in _TARGETS:
        raise ValueError(f"what must be one of {sorted(_TARGETS)}; got {what!r}")
    (forecast, seen), target = _TARGETS[what]
    unit = list(unit)
    missing = sorted({"m", "estimator", "draw", forecast, seen, *unit} - set(draws.columns))
    if missing:
        raise ValueError(f"draws is missing column(s) {missing}; pass backtest() tables stacked with {unit + ['draw']}")
    rows = draws[draws["m"] == m]
    for name in (a, b):
        if name not in set(rows["estimator"]):
            raise ValueError(f"estimator {name!r} has no row at m = {m}; got {sorted(set(rows['estimator']))}")
    keys = [*unit, "draw", "estimator"]
    if rows.duplicated(keys).any():
        raise ValueError(f"draws holds more than one row per {keys} at m = {m}: name each backtest by its unit columns")
    error = rows.assign(_err=(rows[forecast] - rows[seen]).abs()).set_index(keys)["_err"].unstack("estimator")[[a, b]]
    num_draws = rows["draw"].nunique()
    if num_draws < 2:
        raise ValueError(f"a comparison over draws needs at least 2 draws; got {num_draws}")
    both = error.dropna()
    used = both.groupby(level="draw", sort=True).size().reindex(sorted(rows["draw"].unique()), fill_value=0)  # backtests per draw
    if (used == 0).any():
        raise ValueError(f"draw(s) {used.index[used == 0].tolist()} have no backtest forecast by both {a!r} and {b!r} at m = {m}")
    if over == "units":
        return _over_units(both, a, b, unit=unit, target=target.format(k=f"{k_target:,}"), m=m, num_draws=num_draws,
                           num_problems=num_problems, level=level, unit_name=unit_name)
    per_draw = both.groupby(level="draw", sort=True).mean()  # (D, 2): mean absolute error per draw
    d = np.sort((per_draw[b] - per_draw[a]).to_numpy(dtype=float), kind="stable")  # closeness of a minus b, per draw
    mean, half, p, detectable = _paired_t(d, level)
    total = error.index.droplevel("draw").nunique()
    counted = f"{used.min()}" if used.min() == used.max() else f"{used.min()} to {used.max()}"
    where = (f"fitted on the first m = {m:,} samples per problem; {counted} of {total} backtests forecast by both per draw; "
             "the same problems in every draw, not resampled")
    return Finding(a, b, f"closeness of the forecast (minus its mean absolute error) of {target.format(k=f'{k_target:,}')}",
                   f"paired t interval over {d.size} draws of the first samples, the draw its unit", where,
                   -float(per_draw[a].mean()), -float(per_draw[b].mean()), mean, mean - half, mean + half, level, p, detectable,
                   int(num_problems))


def _over_units(both: pd.DataFrame, a: str, b: str, *, unit: list, target: str, m: int, num_draws: int, num_problems: int,
                level: float, unit_name: str) -> Finding:
    """:func:`compare_forecasts` with the backtest (``unit``) as the unit: ``both`` holds the errors of a and b
    indexed by (``unit``, draw), rows where both forecast."""
    per_unit = both.groupby(level=unit, sort=True).mean()  # (U, 2): each backtest's mean absolute error over its draws
    if len(per_unit) < 2:
        raise ValueError(f"a comparison over backtests needs at least 2 forecast by both {a!r} and {b!r} at m = {m}; got {len(per_unit)}")
    raw = (per_unit[b] - per_unit[a]).to_numpy(dtype=float)  # closeness of a minus b, per backtest
    d = np.sort(raw, kind="stable")
    mean, half, p, detectable = _paired_t(d, level)
    closer, differ = int(np.count_nonzero(raw > 1e-9)), int(np.count_nonzero(np.abs(raw) > 1e-9))
    sign_p = float(binomtest(closer, differ, 0.5).pvalue) if differ else 1.0
    draws_used = both.groupby(level=unit, sort=True).size()
    counted = f"{draws_used.min()}" if draws_used.min() == draws_used.max() else f"{draws_used.min()} to {draws_used.max()}"
    where = (f"fitted on the first m = {m:,} samples per problem; each of the {d.size} {unit_name}' error the mean over its {counted} of "
             f"{num_draws} draws of the first samples; {a}'s error the smaller in {closer} of the {differ} {unit_name} that differ, "
             f"exact sign test p = {sign_p:.2g}")
    return Finding(a, b, f"closeness of the forecast (minus its mean absolute error) of {target}",
                   f"paired t interval over {d.size} {unit_name}", where,
                   -float(per_unit[a].mean()), -float(per_unit[b].mean()), mean, mean - half, mean + half, level, p, detectable,
                   int(num_problems))


def _paired_t(d: np.ndarray, level: float) -> tuple[float, float, float, float]:
    """The paired t interval of sorted differences ``d`` (D,): mean, half-width at ``level``, two-sided p-value, and the
    smallest difference detectable with :data:`ttslib.findings.POWER` (``(t_{(1+level)/2} + t_POWER) * se``, D - 1 df)."""
    mean = float(d.sum() / d.size)
    se = float(np.sqrt(((d - mean) ** 2).sum() / (d.size - 1) / d.size))
    df = d.size - 1
    half = float(student_t.ppf((1 + level) / 2, df)) * se
    p = float(2 * student_t.sf(abs(mean) / se, df)) if se > 0 else float(mean == 0)
    return mean, half, p, float((student_t.ppf((1 + level) / 2, df) + student_t.ppf(POWER, df)) * se)
