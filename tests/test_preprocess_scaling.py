"""The quantile and smoothly clipped robust scalings: fit, transform, JSON round trip, training."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import mixed_frame, tiny_recipe

from core.model.recipe import PreprocessingConfig
from core.portable.preprocess import Preprocessor
from core.portable.preprocess_scaling import (
    CLIP_LIMIT,
    MAX_KNOTS,
    apply_quantiles,
    quantile_knots,
    robust_statistics,
    smooth_clip,
)


def _fit(values, scaling: str, **changes: object) -> Preprocessor:
    frame = pd.DataFrame({"x": pd.Series(values, dtype="float64")})
    config = PreprocessingConfig(numeric_scaling=scaling, **changes).model_dump()
    return Preprocessor.fit(frame, {"x": "numeric"}, config)


def _scaled(prep: Preprocessor, values) -> np.ndarray:
    features, _ = prep.transform(pd.DataFrame({"x": pd.Series(values, dtype="float64")}))
    return features[:, 0].astype("float64")


# --- quantile -------------------------------------------------------------------------------


def test_quantile_turns_a_skewed_column_into_a_bell_curve() -> None:
    values = np.random.default_rng(0).lognormal(0.0, 2.0, 5000)
    prep = _fit(values, "quantile")
    scaled = _scaled(prep, values)
    assert abs(scaled.mean()) < 0.02 and abs(scaled.std() - 1.0) < 0.05
    assert abs(np.median(scaled)) < 0.01
    # Order is kept: a larger value never gets a smaller score.
    order = np.argsort(values)
    assert np.all(np.diff(scaled[order]) >= -1e-6)
    column = prep.numeric[0]
    assert len(column.knots) == MAX_KNOTS == len(column.knot_scores)
    assert np.all(np.diff(column.knots) > 0)


def test_quantile_gives_tied_values_one_score_and_keeps_them_apart_from_the_rest() -> None:
    values = [0.0] * 60 + list(range(1, 41))  # a spike at 0: 60% of the rows
    prep = _fit(values, "quantile")
    scaled = _scaled(prep, [0.0, 0.0, 1.0, 40.0])
    assert scaled[0] == scaled[1]
    # The spike sits at the middle of its share of the rows (30%), not at an end.
    assert scaled[0] == pytest.approx(-0.524, abs=0.02)
    assert scaled[0] < scaled[2] < scaled[3]


def test_quantile_holds_values_beyond_the_training_range_at_the_end_scores() -> None:
    values = np.arange(1.0, 101.0)
    prep = _fit(values, "quantile")
    low, first, last, high = _scaled(prep, [-1e12, 1.0, 100.0, 1e12])
    assert low == first and high == last
    assert first == pytest.approx(-2.5758, abs=1e-4)  # normal score of 0.5 / 100
    assert last == pytest.approx(2.5758, abs=1e-4)


def test_quantile_fills_empty_cells_and_flags_them() -> None:
    values = [1.0, 2.0, np.nan, 4.0, 5.0, np.nan, 7.0]
    prep = _fit(values, "quantile")
    features, usable = prep.transform(pd.DataFrame({"x": values}))
    assert prep.feature_names == ["x", "x is empty"]
    assert features[2, 0] == pytest.approx(0.0, abs=1e-6)  # the median's score
    np.testing.assert_array_equal(features[:, 1], [0, 0, 1, 0, 0, 1, 0])
    assert usable.all() and np.isfinite(features).all()


def test_quantile_of_a_constant_column_is_zero_everywhere() -> None:
    prep = _fit([3.0] * 8, "quantile")
    assert prep.numeric[0].knots == [3.0]
    np.testing.assert_allclose(_scaled(prep, [3.0, -5.0, 1e9]), [0.0, 0.0, 0.0], atol=1e-12)


def test_quantile_knots_of_an_empty_column_give_zeros() -> None:
    knots, scores = quantile_knots(np.array([], dtype="float64"))
    assert knots == [] and scores == []
    np.testing.assert_array_equal(apply_quantiles(np.array([1.0, 2.0]), knots, scores), [0, 0])


# --- robust with smooth clipping -------------------------------------------------------------


def test_robust_clip_centres_on_the_median_and_bends_extremes() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1000.0]
    prep = _fit(values, "robust_clip")
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    column = prep.numeric[0]
    assert (column.center, column.scale) == (pytest.approx(median), pytest.approx(q3 - q1))
    z = (np.array([median, median + (q3 - q1), 1000.0, -1e9]) - median) / (q3 - q1)
    expected = z / np.sqrt(1 + (z / 3) ** 2)
    scaled = _scaled(prep, [median, median + (q3 - q1), 1000.0, -1e9])
    np.testing.assert_allclose(scaled, expected, rtol=1e-6)
    assert scaled[0] == 0.0 and scaled[1] == pytest.approx(0.9487, abs=1e-4)
    assert -CLIP_LIMIT <= scaled.min() and scaled.max() <= CLIP_LIMIT


def test_robust_clip_falls_back_to_half_the_range_then_to_one() -> None:
    # The middle half is one value: half the full range is the scale (RealMLP's rule).
    assert robust_statistics(np.array([0.0] + [5.0] * 10 + [9.0])) == (5.0, 4.5)
    assert robust_statistics(np.array([2.0] * 5)) == (2.0, 1.0)
    prep = _fit([2.0] * 5, "robust_clip")
    np.testing.assert_array_equal(_scaled(prep, [2.0, 2.0]), [0.0, 0.0])
    assert _scaled(prep, [1e300, -1e300]) == pytest.approx([CLIP_LIMIT, -CLIP_LIMIT])


def test_smooth_clip_is_near_identity_near_zero_and_odd() -> None:
    z = np.array([-1e6, -2.0, -0.1, 0.0, 0.1, 2.0, 1e6])
    clipped = smooth_clip(z)
    np.testing.assert_allclose(clipped, -clipped[::-1])
    assert clipped[3] == 0.0 and clipped[4] == pytest.approx(0.1, rel=1e-3)
    assert clipped[-1] == pytest.approx(CLIP_LIMIT, rel=1e-6)


# --- stored and reloaded, then trained ------------------------------------------------------


@pytest.mark.parametrize("scaling", ["quantile", "robust_clip"])
def test_fitted_state_round_trips_through_json(scaling: str) -> None:
    frame = mixed_frame(200)
    kinds = {"tenure": "numeric", "spend": "numeric", "plan": "categorical"}
    prep = Preprocessor.fit(frame, kinds, PreprocessingConfig(numeric_scaling=scaling).model_dump())
    again = Preprocessor.from_dict(json.loads(json.dumps(prep.to_dict())))
    assert again == prep
    first, _ = prep.transform(frame)
    second, _ = again.transform(frame)
    np.testing.assert_array_equal(first, second)


@pytest.mark.slow
@pytest.mark.parametrize("scaling", ["quantile", "robust_clip"])
def test_a_tiny_run_trains_with_each_scaling(scaling: str) -> None:
    from core.pipeline import train_run

    frame = mixed_frame(160)
    recipe = tiny_recipe(epochs=3, **{"preprocessing.numeric_scaling": scaling})
    run = train_run(frame, recipe)
    assert run.model is not None and run.outcome.epochs_run == 3
    assert all(spec.scaling == scaling for spec in run.preprocessor.numeric)
    assert np.isfinite(run.result.metrics[run.result.primary_metric])
