"""What the Pythia repeated-sampling counts' ``inference_compute`` column is (forensics for notebook 05).

The counts of Large Language Monkeys (Brown et al. 2024, arXiv:2407.21787; processed by Schaeffer et
al. 2025, arXiv:2502.17578; ``ttslib.data.read_pythia_counts``) carry an ``inference_compute`` value
per row, described as "about 2 x params x tokens" of one sample. Read with the row's own model, the
implied tokens per sample range over five orders of magnitude; read as ``2 N T`` for *some* Pythia
size N, every (model, checkpoint) group gives T in a narrow band. ``attribute_flops`` finds that size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["attribute_flops", "inference_compute_tokens"]


def attribute_flops(flops, params, *, tokens_grid=None) -> tuple[np.ndarray, np.ndarray]:
    """Split FLOPs values ``2 N T`` into a size N among ``params`` and tokens T when each value's size is
    unknown: for a common guess T0 (log grid), each value takes the size whose ``T = flops / (2N)`` is
    nearest T0; the T0 giving the least spread of log T wins. Returns (size index (n,), tokens (n,)).
    """
    f, n = np.asarray(flops, dtype=float), np.asarray(params, dtype=float)
    if f.ndim != 1 or n.ndim != 1 or np.any(~np.isfinite(f) | (f <= 0)) or np.any(~np.isfinite(n) | (n <= 0)):
        raise ValueError("flops and params must be 1-d arrays of numbers > 0")
    log_t = np.log(f[:, None] / (2.0 * n[None, :]))  # (values, sizes)
    grid = np.log(np.geomspace(1, 1e7, 701) if tokens_grid is None else np.asarray(tokens_grid, dtype=float))
    idx = np.argmin(np.abs(log_t[None, :, :] - grid[:, None, None]), axis=2)  # (G, values) nearest size per guess
    chosen = log_t[np.arange(f.size)[None, :], idx]  # (G, values)
    best = int(np.argmin(chosen.std(axis=1)))
    return idx[best], np.exp(chosen[best])


def inference_compute_tokens(counts: pd.DataFrame, params: pd.Series) -> pd.DataFrame:
    """Per (model, pretrain_tokens) group of a Pythia counts table: the median ``inference_compute``, the
    tokens per sample it implies with the group's own model (``label_tokens = value / 2 N_label``), and
    with the size ``attribute_flops`` assigns (``implied_model``, ``tokens_per_sample``).

    ``params`` maps each Pythia model name to its parameter count (e.g. from ``ttslib.registry.registry()``).
    """
    missing = set(counts["model"]) - set(params.index)
    if missing:
        raise ValueError(f"params has no parameter count for model(s) {sorted(missing)}")
    median = counts.groupby(["model", "pretrain_tokens"])["inference_compute"].median()
    size, tokens = attribute_flops(median.to_numpy(), params.to_numpy())
    label = params[median.index.get_level_values("model")].to_numpy()
    return pd.DataFrame({"inference_compute": median.to_numpy(), "label_tokens": median.to_numpy() / (2 * label),
                         "implied_model": params.index[size], "tokens_per_sample": tokens}, index=median.index)
