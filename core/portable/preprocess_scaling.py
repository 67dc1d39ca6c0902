"""The scalings that are more than "subtract a centre, divide by a scale".

Two levers from the tabular deep-learning literature, each a choice of
:data:`.choices.SCALINGS`:

* **Quantile** (``"quantile"``): each number becomes the normal score of its rank among the
  training values, so a skewed column, a column of counts with a long tail, or one whose
  extreme values would swamp the rest all come out as a bell curve around 0 (Gorishniy et
  al., NeurIPS 2022, and Grinsztajn et al. 2022 use it for every deep baseline). The fit
  stores at most :data:`MAX_KNOTS` training quantiles ("knots", strictly increasing) and the
  normal score of each; a value is placed by straight-line interpolation between the two
  knots around it, and a value outside the training range takes the end knot's score.
* **Robust with smooth clipping** (``"robust_clip"``): RealMLP's preparation (Holzmüller,
  Grinsztajn, Steinwart, "Better by Default", NeurIPS 2024): centre on the median, divide by
  the middle half's range (half the full range where the middle half is one value), then
  ``z / sqrt(1 + (z / 3)^2)`` squeezes extreme values smoothly towards ±3 instead of letting
  one outlier dominate.

Both are plain numpy (this module ships in every export bundle) and their fitted state is
plain JSON numbers, so :mod:`core.bundle.serving` and the generated ``train.py`` rebuild
them exactly.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

# At most this many training quantiles per column (scikit-learn's QuantileTransformer
# default): finer steps than this change no prediction measurably and only grow the file.
MAX_KNOTS = 1000
# Smooth clipping bends values towards ±CLIP_LIMIT (RealMLP uses 3).
CLIP_LIMIT = 3.0
CLIP_BOUND = 1e100


def quantile_knots(present: np.ndarray) -> tuple[list[float], list[float]]:
    """The knots of the quantile scaling: training quantiles and their normal scores.

    Parameters
    ----------
    present
        The training values of one column, empty cells removed (float64).

    Returns
    -------
    knots
        Strictly increasing values (at most :data:`MAX_KNOTS`; one for a constant column,
        none for an empty one).
    scores
        The normal score of each knot: the standard normal quantile of its rank share.
        A value repeated over several quantiles (a column of codes, a spike at 0) gets the
        average of their shares, so ties are not pushed apart.
    """
    if present.size == 0:
        return [], []
    count = min(MAX_KNOTS, int(present.size))
    shares = np.linspace(0.0, 1.0, count) if count > 1 else np.array([0.5])
    quantiles = _quantiles(np.sort(present), shares)
    knots, position = np.unique(quantiles, return_inverse=True)
    mean_share = np.bincount(position, weights=shares) / np.bincount(position)
    # The smallest and largest training value sit half a row inside the ends, as their
    # plotting positions do: normal scores stay finite (about ±3.9 for 10,000 rows).
    edge = 0.5 / present.size
    normal = NormalDist()
    scores = [normal.inv_cdf(float(share)) for share in np.clip(mean_share, edge, 1.0 - edge)]
    return [float(k) for k in knots], [float(s) for s in scores]


def _quantiles(ordered: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """``np.quantile`` (linear), with positions rounded so a share that lands on a row takes
    exactly that row's value: otherwise rounding splits one repeated value into two knots."""
    position = np.round(shares * (ordered.size - 1), 9)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, ordered.size - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def apply_quantiles(values: np.ndarray, knots: list[float], scores: list[float]) -> np.ndarray:
    """Each value's normal score, interpolated between the knots (float64)."""
    if not knots:
        return np.zeros(len(values), dtype="float64")
    return np.interp(values, np.asarray(knots), np.asarray(scores))


def robust_statistics(present: np.ndarray) -> tuple[float, float]:
    """RealMLP's (centre, scale): the median and the middle half's range.

    Where the middle half is one value the scale is half the full range; a constant
    column gets scale 1 (centring alone leaves it at 0).
    """
    q1, median, q3 = np.percentile(present, [25, 50, 75])
    scale = float(q3 - q1)
    if scale <= 0:
        scale = 0.5 * float(present.max() - present.min())
    return float(median), scale if scale > 0 else 1.0


def smooth_clip(scaled: np.ndarray) -> np.ndarray:
    """``z / sqrt(1 + (z / CLIP_LIMIT)^2)``: near-identity around 0, bounded by ±CLIP_LIMIT."""
    # Bounded first, so squaring cannot overflow (the result is CLIP_LIMIT there anyway).
    scaled = np.clip(scaled, -CLIP_BOUND, CLIP_BOUND)
    return scaled / np.sqrt(1.0 + (scaled / CLIP_LIMIT) ** 2)
