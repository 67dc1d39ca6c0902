"""Exception classes of Trainboard (defined in :mod:`core.portable.errors`)."""

from core.portable.errors import (
    BundleError,
    PredictionInputError,
    RecipeError,
    TrainboardError,
    TrainingError,
    UnusableDataError,
)

__all__ = [
    "BundleError",
    "PredictionInputError",
    "RecipeError",
    "TrainboardError",
    "TrainingError",
    "UnusableDataError",
]
