"""Recipe files that travel: writing a recipe to share, reading one safely, checking it fits.

A recipe file is the recipe's own JSON (:meth:`core.model.recipe.Recipe.to_json`) with one
extra block, ``"about"``, saying what it was made for: the file format, the Trainboard
version, the data file and the task of its column to predict. The block is what lets a
reader say "this recipe was made for a yes/no outcome, but 'price' here is a number" or
"this recipe comes from a newer Trainboard"; a plain recipe without it (a job folder's or
a bundle's ``recipe.json``) reads just as well, with those two checks skipped.

Reading never executes anything: the bytes are size-capped, decoded as UTF-8, parsed with
:func:`json.loads` and validated by the recipe's pydantic model. Every way a file can fail
to fit the data is a :class:`Problem` in plain sentences; the app and the CLI show the same
ones.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from core import __version__
from core.data.profile_types import DataProfile, TaskInfo
from core.errors import RecipeError
from core.i18n import Texts
from core.model.recipe import Recipe
from core.model.tasks import TASKS, task_spec

# A recipe is about 2 KB; 100 KB leaves room for long column lists and nothing more.
MAX_RECIPE_BYTES = 100_000
# Raised only when a reader could not understand a file written by this version.
RECIPE_FORMAT = 1
ABOUT_KEY = "about"
RECIPE_SUFFIX = ".recipe.json"
DEFAULT_RECIPE_NAME = "trainboard"  # file stem when there is no data name to use

TEXT = Texts("core.model.recipe_fit")  # the catalog runs.po


@dataclass(frozen=True)
class Problem:
    """One way a recipe file cannot be used as it is.

    Attributes
    ----------
    code : str
        Stable identifier: ``too_large``, ``not_text``, ``not_json``, ``too_deep``, ``not_object``,
        ``bad_about``, ``newer_format``, ``invalid_settings``, ``target_missing``,
        ``drop_missing`` or ``task_differs``.
    message : str
        A plain sentence naming what does not fit and, where there is one, the fix.
    """

    code: str
    message: str

    @property
    def about_columns(self) -> bool:
        """True when only the recipe's column choices (target, left-out columns) misfit."""
        return self.code in COLUMN_PROBLEMS


# Problems that concern only the recipe's column choices: the rest of its settings still
# apply to this data as they are.
COLUMN_PROBLEMS = frozenset({"target_missing", "drop_missing", "task_differs"})


@dataclass(frozen=True)
class MadeFor:
    """What a recipe file says it was made for (its ``about`` block)."""

    format: int = RECIPE_FORMAT
    version: str | None = None
    data: str | None = None
    target: str | None = None
    task: str | None = None


@dataclass(frozen=True)
class RecipeFile:
    """A recipe file as read: the recipe (None if unusable), what it was made for, problems."""

    recipe: Recipe | None
    made_for: MadeFor
    problems: tuple[Problem, ...] = ()


# --- writing ----------------------------------------------------------------------------


def recipe_file_name(data_name: str | None) -> str:
    """The download name for a recipe used on ``data_name``: ``churn.csv`` → ``churn.recipe.json``.

    Every suffix is removed (``sales.csv.gz`` → ``sales``) and characters that are unsafe in
    file names on some system become ``_``.
    """
    stem = PurePath(data_name or "").name.split(".")[0]
    stem = re.sub(r"[^\w\- ]", "_", stem).strip(" _") or DEFAULT_RECIPE_NAME
    return stem[:80] + RECIPE_SUFFIX


def recipe_file_text(
    recipe: Recipe, task: TaskInfo | None = None, data_name: str | None = None
) -> str:
    """The JSON text of a recipe file: ``about`` first, then every setting of the recipe.

    Parameters
    ----------
    recipe
        The recipe to save.
    task
        The task of the recipe's target on the data it was made with, if known; lets a
        reader say when the same column name means something else in other data.
    data_name
        The data file's name, for the person who opens the file.
    """
    about: dict[str, Any] = {"format": RECIPE_FORMAT, "trainboard": __version__}
    if data_name:
        about["data"] = PurePath(data_name).name
    if task is not None and task.target == recipe.target:
        about["target"] = task.target
        about["task"] = task.task
    return json.dumps({ABOUT_KEY: about, **recipe.to_dict()}, indent=2, ensure_ascii=False)


# --- reading ----------------------------------------------------------------------------


def read_recipe_file(content: bytes | str) -> RecipeFile:
    """Parse a recipe file safely; problems are returned, never raised.

    The file is refused beyond ``MAX_RECIPE_BYTES``; otherwise it is decoded as UTF-8,
    parsed as JSON and validated by :class:`Recipe` (ranges, choices, unknown keys). A
    file from a newer recipe format gets that said first, with its settings' own messages
    after it (usually they name the settings this version does not know).
    """
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if len(data) > MAX_RECIPE_BYTES:
        size, cap = -(-len(data) // 1000), MAX_RECIPE_BYTES // 1000
        return _unusable(Problem("too_large", TEXT["too_large"].format(size=size, cap=cap)))
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark from some editors is harmless
    except UnicodeDecodeError:
        return _unusable(Problem("not_text", TEXT["not_text"]))
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        message = TEXT["not_json"].format(line=error.lineno, column=error.colno, reason=error.msg)
        return _unusable(Problem("not_json", message))
    except RecursionError:
        return _unusable(Problem("too_deep", TEXT["too_deep"]))
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        return _unusable(Problem("not_json", TEXT["unreadable_json"].format(reason=error)))
    if not isinstance(parsed, dict):
        return _unusable(Problem("not_object", TEXT["not_object"]))
    made_for, about_problem = _made_for(parsed.pop(ABOUT_KEY, None))
    problems = [about_problem] if about_problem else []
    if made_for.format > RECIPE_FORMAT:
        problems.append(
            Problem(
                "newer_format",
                TEXT["newer_format"].format(
                    version=made_for.version or "unknown version",
                    found=made_for.format,
                    ours=__version__,
                    supported=RECIPE_FORMAT,
                ),
            )
        )
    try:
        recipe = Recipe.from_dict(parsed)
    except RecipeError as error:
        problems.append(Problem("invalid_settings", str(error)))
        recipe = None
    if problems:
        recipe = None  # a file that is not fully understood is not used at all
    return RecipeFile(recipe, made_for, tuple(problems))


def _unusable(problem: Problem) -> RecipeFile:
    return RecipeFile(None, MadeFor(), (problem,))


def _made_for(about: Any) -> tuple[MadeFor, Problem | None]:
    """The ``about`` block as :class:`MadeFor`; a damaged block is a problem, not a crash."""
    if about is None:
        return MadeFor(), None
    if not isinstance(about, dict):
        return MadeFor(), Problem("bad_about", TEXT["bad_about"].format(reason="it is not a block"))
    fmt = about.get("format", RECIPE_FORMAT)
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt < 1:
        reason = f"its format {fmt!r} is not a whole number from 1 up"
        return MadeFor(), Problem("bad_about", TEXT["bad_about"].format(reason=reason))
    task = about.get("task")
    if task is not None and task not in TASKS:
        reason = f"its task {task!r} is not one of {', '.join(TASKS)}"
        return MadeFor(format=fmt), Problem("bad_about", TEXT["bad_about"].format(reason=reason))

    def text_or_none(key: str) -> str | None:
        value = about.get(key)
        return str(value) if value is not None else None

    return MadeFor(
        format=fmt,
        version=text_or_none("trainboard"),
        data=text_or_none("data"),
        target=text_or_none("target"),
        task=task,
    ), None


def load_recipe_file(content: bytes | str) -> tuple[Recipe, MadeFor]:
    """The recipe of a file, or :class:`RecipeError` with every problem in one message."""
    loaded = read_recipe_file(content)
    if loaded.recipe is None:
        raise RecipeError(" ".join(problem.message for problem in loaded.problems))
    return loaded.recipe, loaded.made_for


# --- fitting the data -------------------------------------------------------------------


def check_recipe_fits(
    recipe: Recipe, profile: DataProfile, made_for: MadeFor | None = None
) -> list[Problem]:
    """Every way ``recipe`` does not fit the profiled data, in plain sentences (empty: it fits).

    Parameters
    ----------
    recipe
        A valid recipe (its settings are already checked by its own validation).
    profile
        The data's profile. When it was made with the recipe's target (see
        :func:`profile_target`) its task is compared with the one the recipe was made for.
    made_for
        What the recipe file says it was made for; without it the task is not compared.

    Returns
    -------
    list of Problem
        ``target_missing``, ``drop_missing`` and ``task_differs`` problems, in that order.
    """
    names = {column.name for column in profile.columns}
    problems = []
    if recipe.target is not None and recipe.target not in names:
        message = TEXT["target_missing"].format(target=recipe.target)
        problems.append(Problem("target_missing", message))
    missing = [name for name in recipe.drop_columns if name not in names]
    if missing:
        listed = ", ".join(f"'{name}'" for name in missing)
        problems.append(Problem("drop_missing", TEXT["drop_missing"].format(columns=listed)))
    task = profile.task
    if (
        made_for is not None
        and made_for.task is not None
        and made_for.target == recipe.target
        and task is not None
        and task.target == recipe.target
        and task.task != made_for.task
    ):
        problems.append(
            Problem(
                "task_differs",
                TEXT["task_differs"].format(
                    made=task_spec(made_for.task).outcome_words,
                    target=recipe.target,
                    found=task.spec.outcome_words,
                ),
            )
        )
    return problems


def profile_target(recipe: Recipe, columns: list[str]) -> str | None:
    """The target to profile the data with for the fit check: the recipe's, if it is a column."""
    return recipe.target if recipe.target in columns else None
