"""How far off number predictions are, in the target's own units, by range of the prediction.

A single typical error hides where a model is worse: :func:`error_by_range` cuts the test
rows into ranges of the predicted value and gives the typical error of each, for a plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ERROR_BINS = 5
MIN_ROWS_PER_BIN = 10


def error_by_range(
    y_true: Any, y_pred: Any, n_bins: int = ERROR_BINS, min_rows: int = MIN_ROWS_PER_BIN
) -> list[dict[str, Any]]:
    """The typical error by range of the predicted value, for a plot.

    The test rows are cut into ranges of the predicted value holding about as many rows
    each (quantiles), with at least ``min_rows`` rows per range.

    Returns
    -------
    list of dict
        One entry per range, lowest first: ``low``, ``high`` (predicted values), ``rows``,
        ``mae`` (average size of the error, in the target's units), ``median_error``
        (half the rows are off by less) and ``bias`` (average of actual minus predicted:
        positive means the model guesses too low in that range).
    """
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if len(y) != len(pred) or len(y) == 0:
        raise ValueError(f"y_true has {len(y)} rows but y_pred has {len(pred)}.")
    bins = max(1, min(n_bins, len(y) // max(min_rows, 1)))
    edges = np.unique(np.quantile(pred, np.linspace(0.0, 1.0, bins + 1)))
    # Each row belongs to the range whose upper edge is the first one at or above it.
    which = np.clip(np.searchsorted(edges, pred, side="left") - 1, 0, max(len(edges) - 2, 0))
    ranges = []
    for b in range(max(len(edges) - 1, 1)):
        rows = which == b
        if not rows.any():
            continue
        error = y[rows] - pred[rows]
        ranges.append(
            {
                "low": float(pred[rows].min()),
                "high": float(pred[rows].max()),
                "rows": int(rows.sum()),
                "mae": float(np.mean(np.abs(error))),
                "median_error": float(np.median(np.abs(error))),
                "bias": float(np.mean(error)),
            }
        )
    return ranges
