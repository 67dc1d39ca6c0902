"""The few exception classes Trainboard raises on purpose.

Every message is written for a person who is not an engineer: it names the
problem and says what to do next. Pages catch :class:`TrainboardError` (and
only it) and show ``str(error)``; the CLI prints it after ``error:``.

This module ships inside every export bundle, so it depends on nothing but
the standard library.
"""

from __future__ import annotations


class TrainboardError(Exception):
    """Base class: something the user can fix, with a message saying how."""


class UnusableDataError(TrainboardError):
    """The data cannot be used as it is (empty, unreadable, no usable target...)."""


class RecipeError(TrainboardError):
    """A recipe setting is unknown, out of range, or contradicts another one."""


class PredictionInputError(TrainboardError):
    """Rows given for prediction do not match what the model was trained on."""


class BundleError(TrainboardError):
    """A model bundle is missing, damaged, inconsistent, or unsafe to open."""


class TrainingError(TrainboardError):
    """Training could not run or produced no usable model."""
