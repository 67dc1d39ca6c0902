"""The recipe Trainboard starts from for a file: one rule for the app and the CLI.

The Data page pre-fills the columns to leave out from the profile's suggestions, and
``trainboard recipe DATA --target COLUMN`` prints the same recipe, so a recipe written
by hand can start from exactly what the app would have used.
"""

from __future__ import annotations

from core.data.profiling import DataProfile
from core.model.recipe import Recipe


def starting_recipe(profile: DataProfile, base: Recipe | None = None) -> Recipe:
    """``base`` (default: the default recipe) set up for a profiled table.

    Parameters
    ----------
    profile
        The table's profile, from :func:`core.data.profiling.profile_table`; its target
        (if it was profiled with one) becomes the recipe's target.
    base
        The settings to keep (preparation, network, training); only the target and the
        columns to leave out change.

    Returns
    -------
    Recipe
        With the profile's target and, as columns to leave out, the ones the profile
        suggests (identifiers, constants, empty, free-text and date columns).
    """
    recipe = base if base is not None else Recipe()
    target = profile.task.target if profile.task is not None else None
    suggested = [name for name in profile.suggested_drop if name != target]
    return recipe.with_changes(target=target, drop_columns=suggested)
