"""The kit's one look: a seaborn theme, and a fixed palette per kind of series.

Every figure of the notebooks is drawn under :func:`use_theme` (each notebook's import cell calls it;
importing ``ttslib.plotting`` changes no global setting, so a script or a test keeps its own style).
Colours are tied to what a series *is*, not to its position in a figure, so a reader learns them once:

- **strategies** (categorical, fixed): best-of-N is the same blue in notebooks 00, 03, 04 and 05, majority
  vote the same green, and so on (:data:`STRATEGIES`). A strategy is a ``ttslib.policy.Strategy``
  record (its fields are read, never a name), or a display name: its key (``"best_of_n"``, as
  ``ttslib.selection`` names it) or its label (``"best-of-N"``); :func:`strategy_key` reads both.
  The colour is a function of the method alone: the verifier a record names goes into its label, not its
  colour, so best-of-N scored by the model's confidence is the blue of best-of-N scored by any other verifier.
  So is the marker shape (:data:`STRATEGY_MARKERS`, :func:`strategy_marker`): beam search is a down-triangle
  in every figure.
- **models** (fixed per run): a model's colour is a function of its registry row (``ttslib/models.csv``)
  and nothing else, so a run has one colour in every figure, whichever other models are drawn beside it.
  The nine Pythia sizes have nine hues of one qualitative set (:data:`MODEL_SIZE_COLORS`; every two at
  least 36 apart in CIE76 Delta E, adjacent sizes at least 55), so any two sizes, neighbours above all,
  are told apart; the kit's own runs, SmolLM2-135M and gemma-3-270m, are black and grey
  (:data:`OWN_MODEL_COLORS`), apart from every size; any other model, or a bare parameter count, takes
  the colour of its size on the Pythia scale (interpolated in CIELAB on log parameters between the two
  nearest Pythia sizes).
- **other ordered series** (checkpoints, difficulty levels or bins, verifier quality): one ordered
  multi-hue palette (:func:`sequential_palette`, matplotlib's 'turbo' from dark blue to dark red), so that
  neighbours differ in hue, up to ten of them.

:func:`resolve_palette` is what every ``plot_*`` calls on its series labels: a palette given by the
caller wins; otherwise labels that all name strategies get the strategy colours, labels that all name
registry models get their size colours, and anything else the sequential palette.
"""

from __future__ import annotations

import re

import matplotlib as mpl
import numpy as np
import seaborn as sns

from ttslib.registry import get_model
from ttslib.policy.strategy import Strategy, stop_label

__all__ = [
    "THEME", "STRATEGIES", "SEQUENTIAL", "SEQUENTIAL_RANGE", "MODEL_SIZE_COLORS", "OWN_MODEL_COLORS", "use_theme",
    "STRATEGY_MARKERS", "strategy_key", "strategy_label", "strategy_color", "strategy_marker", "strategy_palette", "strategy_order", "model_color", "model_palette", "size_order",
    "sequential_palette", "resolve_palette",
]

# sns.set_theme arguments of every notebook figure; rc entries on top of seaborn's
THEME = {
    "context": "notebook",  # font sizes for figures read on a screen at ~10 inches wide
    "style": "whitegrid",
    "palette": "colorblind",  # default colour cycle, for lines drawn outside the plot_* functions
    "font": "DejaVu Sans",  # shipped with matplotlib: the same glyphs, so the same bytes, on every machine
    "font_scale": 0.85,
    "rc": {"legend.frameon": False, "axes.titlesize": "medium", "grid.linewidth": 0.6, "lines.markersize": 4,
           "figure.dpi": 100, "savefig.dpi": 150, "axes.formatter.use_mathtext": True},
}

_CB = sns.color_palette("colorblind")  # Okabe-Ito-like, safe for the common colour-vision deficiencies
# key -> (label, colour); the order is the legend order where several appear
STRATEGIES = {
    "oracle": ("pass@n (oracle)", (0.33, 0.33, 0.33)),
    "majority": ("majority vote", _CB[2]),
    "best_of_n": ("best-of-N", _CB[0]),
    "weighted": ("weighted best-of-N", _CB[1]),
    "beam_search": ("beam search", "#c0392b"),  # a red and a purple rather than the palette's vermillion and pink:
    "dvts": ("DVTS", "#8e5fb0"),  # apart from weighted best-of-N's orange in every verifier shade
    "particle_filtering": ("particle filtering", "#1f5f5b"),  # a dark teal, apart from majority's green and best-of-N's blue
    "rebase": ("REBASE", "#8c6d1f"),  # a dark ochre, apart from weighted best-of-N's orange and the brown of sampling
    "sampling": ("step-by-step sampling", _CB[5]),
    "compute_optimal": ("compute-optimal policy", "#a8427f"),  # a deep magenta, apart from the grey best single strategy
    "single": ("best single strategy", _CB[7]),
}
# key -> marker shape, fixed like the colour: beam search is the same down-triangle in every figure, each
# strategy its own shape; a series that is no strategy takes a shape no strategy of its figure has.
STRATEGY_MARKERS = {
    "oracle": "o", "majority": "s", "best_of_n": "^", "weighted": "D", "beam_search": "v", "dvts": "p",
    "sampling": "X", "compute_optimal": "*", "single": "h", "particle_filtering": "8", "rebase": "<",
}
_ALIASES = {  # normalised spellings (lower case, '_' for spaces and hyphens) -> key
    "pass@n": "oracle", "coverage": "oracle", "majority_vote": "majority", "maj": "majority",
    "bon": "best_of_n", "best_of_n": "best_of_n", "weighted_best_of_n": "weighted", "weighted_vote": "weighted",
    "weighted_bon": "weighted", "beam": "beam_search", "compute_optimal_policy": "compute_optimal",
    "best_single_strategy": "single", "pf": "particle_filtering", "particle_gibbs": "particle_filtering",
}
_FALLBACK = sns.color_palette("dark", 10)  # strategies the kit does not know, in sorted order

# ordered series that are not model sizes: matplotlib's 'turbo' (dark blue, cyan, green, yellow, orange, dark
# red) over SEQUENTIAL_RANGE, which leaves out its darkest ends, sampled at equal CIELAB arc length
SEQUENTIAL = "turbo"
SEQUENTIAL_RANGE = (0.05, 0.95)

# Pythia size (registry name) -> colour: nine hues of one qualitative set (matplotlib's tab10 without its
# grey; the purple darkened, the brown and the pink moved so that every two are 36 or more apart in CIE76
# Delta E, the two below included), in an order that puts far hues side by side: adjacent sizes are 55 or
# more apart (tests/test_plotting_measured.py measures both). Size is read from the legend, not the shade.
MODEL_SIZE_COLORS = {
    "pythia-14m": "#1f77b4", "pythia-70m": "#ff7f0e", "pythia-160m": "#17becf", "pythia-410m": "#d62728",
    "pythia-1b": "#2ca02c", "pythia-1.4b": "#f781bf", "pythia-2.8b": "#bcbd22", "pythia-6.9b": "#6a3d9a",
    "pythia-12b": "#a6611a",
}
# The kit's own runs (registry name) -> colour: no hue at all, black and a mid grey, so that SmolLM2-135M
# and gemma-3-270m stand apart from every Pythia size (and from each other) in any figure.
OWN_MODEL_COLORS = {"SmolLM2-135M": "#000000", "gemma-3-270m": "#8c8c8c"}


def use_theme(context: str | None = None, font_scale: float | None = None) -> None:
    """Set the kit's seaborn theme (:data:`THEME`) for every figure made afterwards.

    Called once in each notebook's import cell; ``context`` (``"paper"``, ``"talk"``, ...) and
    ``font_scale`` override the theme's for slides or print. Deterministic: no font is looked up
    beyond matplotlib's own, so ``savefig`` writes the same bytes on every machine.
    """
    theme = dict(THEME, rc=dict(THEME["rc"]))
    if context is not None:
        theme["context"] = context
    if font_scale is not None:
        theme["font_scale"] = font_scale
    sns.set_theme(**theme)


def _normalise(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def strategy_key(name) -> str | None:
    """The :data:`STRATEGIES` key of a strategy, or None if it names none.

    A :class:`ttslib.policy.Strategy` record gives its ``method``. A string is a display name: a key
    (``"best_of_n"``), a label (``"best-of-N"``, ``"majority vote (MC)"``, ``"DVTS (M = 4)"``,
    ``"pass@16 (oracle)"``) or an alias; a parenthesised note is ignored. No string is read as a record.
    """
    if isinstance(name, Strategy):
        return name.method if name.method in STRATEGIES else None
    text = str(name)
    if "(oracle)" in text.lower() or text.lower().startswith("pass@"):
        return "oracle"
    text = _normalise(re.sub(r"\(.*?\)", "", text)).strip("_")
    if text in STRATEGIES:
        return text
    labels = {_normalise(label): key for key, (label, _) in STRATEGIES.items()}
    return _ALIASES.get(text, labels.get(text))


def _verifier_text(verifier) -> str:
    """A verifier as a label shows it: "noisy, AUC 0.80", "step checker"."""
    if verifier.kind == "noisy":
        return f"noisy, AUC {verifier.auc:.2f}" + (f", seed {verifier.seed}" if verifier.seed else "")
    return verifier.label.replace("_", " ")


def _settings(record) -> str:
    """A search's settings as a label shows them: ", M = 4, lookahead 1"; particle filtering and REBASE: their
    settings record (", prod, T=1"); empty for a sampling rule."""
    if record.beam_width is None and getattr(record, "scheme", None) is None:
        return ""
    parts = [str(record.scheme)] if record.beam_width is None else [f"M = {record.beam_width}"]
    parts += [f"lookahead {record.lookahead}"] if record.lookahead else []
    parts += [f"{record.aggregate} step"] if record.aggregate not in (None, "last") else []
    parts += ["search-and-learn's"] if record.variant == "sal" else []
    parts += [f"{record.select} select"] if record.select not in (None, "weighted") else []
    return ", " + ", ".join(parts)


def strategy_label(name) -> str:
    """The display label of a strategy: ``Strategy("best_of_n", VerifierSpec.step_checker())`` ->
    ``"best-of-N (step checker)"``, read from the record's fields; a string the kit knows gets its
    :data:`STRATEGIES` label, any other string is returned unchanged.
    """
    key = strategy_key(name)
    if key is None:
        return str(name)
    label = STRATEGIES[key][0]
    if not isinstance(name, Strategy):
        return label
    stop = [] if name.stop is None else [stop_label(name.stop)]  # an adaptive rule: "majority vote (ESC(window=5))"
    if name.verifier is None:
        return f"{label} ({stop[0]})" if stop else label
    return f"{label} ({', '.join([_verifier_text(name.verifier) + _settings(name)] + stop)})"


def strategy_color(name) -> tuple:
    """The fixed RGB colour of a strategy (a record, or any name :func:`strategy_key` reads): a function of
    its method alone (``STRATEGIES[key]``), whatever verifier or settings a record names."""
    key = strategy_key(name)
    if key is None:
        raise ValueError(f"name {name!r} is no strategy the kit knows ({', '.join(STRATEGIES)}); "
                         f"pass a palette, or use strategy_palette, which colours unknown names too")
    return tuple(float(c) for c in mpl.colors.to_rgb(STRATEGIES[key][1]))


def strategy_marker(name) -> str:
    """The fixed matplotlib marker of a strategy (a record, or any name :func:`strategy_key` reads): a
    function of its method alone (:data:`STRATEGY_MARKERS`), like its colour."""
    key = strategy_key(name)
    if key is None:
        raise ValueError(f"name {name!r} is no strategy the kit knows ({', '.join(STRATEGIES)}); "
                         f"its marker is the figure's to choose (_draw.distinguish_markers)")
    return STRATEGY_MARKERS[key]


def strategy_palette(strategies) -> dict:
    """One colour per strategy name (keys of the result, as given): the fixed :func:`strategy_color` for
    the kit's strategies, and for any other name a colour of a separate palette, in sorted order."""
    names = list(dict.fromkeys(strategies))
    unknown = sorted({str(s) for s in names if strategy_key(s) is None})
    return {s: strategy_color(s) if strategy_key(s) is not None else _FALLBACK[unknown.index(str(s)) % len(_FALLBACK)]
            for s in names}


def strategy_order(strategies) -> list:
    """The distinct strategy names in legend order: the kit's in :data:`STRATEGIES` order (then by
    verifier), any other name after them, sorted."""
    keys = list(STRATEGIES)
    rank = {s: (keys.index(strategy_key(s)) if strategy_key(s) else len(keys), str(s)) for s in dict.fromkeys(strategies)}
    return sorted(rank, key=rank.get)


def model_spec(name):
    """The registry row of a model named at the start of ``name`` ("pythia-1b (MATH)"), else None."""
    base = re.split(r"\s*[,(]", str(name), maxsplit=1)[0].strip()
    try:
        return get_model(base)
    except (ValueError, TypeError):
        return None


def _model_params(name) -> float | None:
    """Parameters of a registry model named at the start of ``name``, else None."""
    spec = model_spec(name)
    return float(spec.params) if spec is not None else None


def _to_lab(rgb) -> np.ndarray:
    """sRGB in [0, 1] -> CIELAB (D65)."""
    rgb = np.asarray(rgb, dtype=float)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = lin @ _SRGB_TO_XYZ.T / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def _from_lab(lab) -> np.ndarray:
    """CIELAB (D65) -> sRGB in [0, 1], clipped to the gamut."""
    L, a, b = np.asarray(lab, dtype=float)
    fy = (L + 16) / 116
    f = np.array([fy + a / 500, fy, fy - b / 200])
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _D65
    lin = np.clip(np.linalg.solve(_SRGB_TO_XYZ, xyz), 0.0, 1.0)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]])
_D65 = np.array([0.95047, 1.0, 1.08883])


def _size_color(params: float) -> tuple:
    """The colour of a size on the Pythia scale: a Pythia size's own, else interpolated in CIELAB on
    log10(params) between the two nearest Pythia sizes (the ends beyond them)."""
    anchors = sorted((float(get_model(name).params), color) for name, color in MODEL_SIZE_COLORS.items())
    logs = np.log10([p for p, _ in anchors])
    labs = np.array([_to_lab(mpl.colors.to_rgb(c)) for _, c in anchors])
    x = float(np.clip(np.log10(params), logs[0], logs[-1]))
    i = int(np.clip(np.searchsorted(logs, x, side="right") - 1, 0, len(logs) - 2))
    t = (x - logs[i]) / (logs[i + 1] - logs[i])
    if t in (0.0, 1.0):  # a Pythia size: its colour exactly, not one through the Lab round trip
        return tuple(float(c) for c in mpl.colors.to_rgb(anchors[i + int(t)][1]))
    return tuple(float(c) for c in _from_lab((1 - t) * labs[i] + t * labs[i + 1]))


def model_color(model) -> tuple:
    """The fixed RGB colour of a model: ``model`` is a registry name (``"pythia-1b"``; org prefixes,
    ``-Instruct`` and quantisation suffixes, and suffixes like ``" (MATH)"`` ignored) or a parameter count.

    A Pythia size has its :data:`MODEL_SIZE_COLORS` entry, the kit's own runs their :data:`OWN_MODEL_COLORS`
    entry, any other registry model and any parameter count the colour of its size on the Pythia scale.
    """
    if isinstance(model, (int, float, np.number)) and not isinstance(model, bool):
        if not float(model) > 0:
            raise ValueError(f"model must be a registry name (ttslib/models.csv) or a parameter count > 0; got {model!r}")
        return _size_color(float(model))
    spec = model_spec(model)
    if spec is None:
        raise ValueError(f"model must be a registry name (ttslib/models.csv) or a parameter count > 0; got {model!r}")
    fixed = MODEL_SIZE_COLORS.get(spec.name, OWN_MODEL_COLORS.get(spec.name))
    return tuple(float(c) for c in mpl.colors.to_rgb(fixed)) if fixed else _size_color(float(spec.params))


def size_order(labels) -> list:
    """The distinct ``labels`` in legend order: those that name a registry model (at their start, as
    :func:`model_color` reads them) by its parameter count, smallest first, in the places such labels
    take; any other label stays where it is. Ties keep their order."""
    labels = list(dict.fromkeys(labels))
    params = [_model_params(label) for label in labels]
    places = [i for i, p in enumerate(params) if p is not None]
    ranked = sorted(places, key=lambda i: params[i])  # sorted() is stable: equal sizes keep their order
    out = list(labels)
    for place, i in zip(places, ranked):
        out[place] = labels[i]
    return out


def model_palette(models) -> dict:
    """One colour per model name (:func:`model_color`), keys as given."""
    return {m: model_color(m) for m in dict.fromkeys(models)}


def sequential_palette(n: int) -> list:
    """``n`` colours in order for an ordered series that is not model sizes (checkpoints, levels, bins):
    points of :data:`SEQUENTIAL` over :data:`SEQUENTIAL_RANGE` spaced equally in CIELAB arc length, so
    that neighbours differ by as much as the map allows (hue as well as lightness; with n = 10, every two
    adjacent are 35 or more apart in CIE76 Delta E). One colour: the map's far end."""
    if n < 1:
        return []
    cmap = mpl.colormaps[SEQUENTIAL]
    t = np.linspace(*SEQUENTIAL_RANGE, 2001)
    lab = _to_lab(cmap(t)[:, :3])
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(lab, axis=0), axis=1))])
    at = np.interp(np.linspace(0.0, arc[-1], max(n, 2)), arc, t)
    colors = [tuple(float(c) for c in cmap(v)[:3]) for v in at]
    return [colors[-1]] if n == 1 else colors


def resolve_palette(labels, palette=None) -> list:
    """Colours of the series named by ``labels``, in their order: ``palette`` as given (a dict covering
    the labels, a list of colours, or a seaborn palette name), else the strategies' or the model sizes'
    colours when every label names one, else :func:`sequential_palette` in the order of ``labels``."""
    labels = list(labels)
    if isinstance(palette, dict):
        missing = [label for label in labels if label not in palette]
        if missing:
            raise ValueError(f"palette has no colour for {missing}; it covers {list(palette)}")
        return [palette[label] for label in labels]
    if palette is not None:
        colors = sns.color_palette(palette, len(labels)) if isinstance(palette, str) else list(palette)
        if len(colors) < len(labels):
            raise ValueError(f"palette has {len(colors)} colours for {len(labels)} series")
        return colors[: len(labels)]
    if labels and all(strategy_key(label) is not None for label in labels):
        return [strategy_color(label) for label in labels]
    if labels and all(model_spec(label) is not None for label in labels):
        return [model_color(label) for label in labels]
    return sequential_palette(len(labels))
