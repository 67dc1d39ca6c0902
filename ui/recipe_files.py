"""Save the recipe as a file, or load one to fill every setting (Design page).

Reading and checking live in :mod:`core.model.recipe_fit`; this module only draws the
download button and the uploader and applies what the check allows. A recipe is applied
whole, or not at all: its point is to repeat a run, and a half-applied one would train
something else without saying so. When only its column choices do not fit this data (a
column that is not there, a column that means another task here), the person can take
its other settings while keeping their own column choices, by a second, explicit click
that says which parts are left out.

Session keys: ``recipe_upload`` (the uploader), ``recipe_upload_outcome`` (what the last
upload did: a kind and the sentences to show) and ``recipe_upload_pending`` (a valid
recipe whose column choices do not fit, waiting for that second click).
"""

from __future__ import annotations

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.model.recipe import Recipe
from core.model.recipe_fit import (
    check_recipe_fits,
    profile_target,
    read_recipe_file,
    recipe_file_name,
    recipe_file_text,
)
from ui.data import profile_dataset, read_dataset
from ui.recipe_form import forget_setting_widgets
from ui.state import current_dataset, current_recipe, set_recipe
from ui.text import escape_markdown

TEXT = Texts("ui.recipe_files")
MIME = "application/json"


def recipe_files(recipe: Recipe) -> None:
    """The download button and the uploader, with what the last upload did."""
    st.subheader(TEXT["title"])
    st.caption(TEXT["intro"])
    dataset = current_dataset()
    task = None
    if dataset is not None and recipe.target is not None:
        try:
            task = profile_dataset(dataset, recipe.target, recipe.split.test_fraction).task
        except TrainboardError:
            task = None  # the page says what is wrong with the target; the file omits the task
    st.download_button(
        TEXT["download"],
        data=recipe_file_text(recipe, task, dataset.name if dataset else None),
        file_name=recipe_file_name(dataset.name if dataset else None),
        mime=MIME,
        key="recipe_download",
        help=TEXT["download_help"],
        icon=":material/download:",
    )
    st.file_uploader(
        TEXT["upload"],
        type=["json"],
        key="recipe_upload",
        on_change=_load_upload,
        help=TEXT["upload_help"],
    )
    _show_outcome(recipe)


def _load_upload() -> None:
    """Callback: read, check and (when it fits) apply the uploaded recipe.

    A callback, because applying re-seeds the setting widgets, which is only allowed
    before they are drawn.
    """
    st.session_state["recipe_upload_pending"] = None
    upload = st.session_state.get("recipe_upload")
    if upload is None:
        st.session_state["recipe_upload_outcome"] = None
        return
    name = upload.name
    loaded = read_recipe_file(upload.getvalue())
    if loaded.recipe is None:
        _refuse(name, [problem.message for problem in loaded.problems])
        return
    recipe, dataset = loaded.recipe, current_dataset()
    if dataset is None:
        _refuse(name, [TEXT["no_data"]])
        return
    try:
        columns = [str(column) for column in read_dataset(dataset).columns]
        target = profile_target(recipe, columns)
        profile = profile_dataset(dataset, target, recipe.split.test_fraction)
    except TrainboardError as error:  # e.g. the recipe's target cannot be predicted here
        _refuse(name, [str(error)])
        return
    problems = check_recipe_fits(recipe, profile, loaded.made_for)
    if not problems and recipe.target is None:
        applied = [TEXT["applied"].format(name=name), TEXT["no_target"]]
        _apply(_with_my_columns(recipe), "applied", applied, name)
    elif not problems:
        _apply(recipe, "applied", [TEXT["applied"].format(name=name)], name)
    elif all(problem.about_columns for problem in problems):
        st.session_state["recipe_upload_pending"] = recipe
        messages = [TEXT["refused"].format(name=name), *(p.message for p in problems)]
        messages.append(TEXT["columns_only"])
        st.session_state["recipe_upload_outcome"] = _outcome("columns", messages, name)
    else:
        _refuse(name, [problem.message for problem in problems])


def _use_other_settings() -> None:
    """Callback of the second click: the pending recipe's settings with the user's columns."""
    pending = st.session_state.get("recipe_upload_pending")
    if pending is None:
        return
    name = st.session_state["recipe_upload_outcome"]["name"]
    _apply(_with_my_columns(pending), "applied", [TEXT["partly"].format(name=name)], name)


def _with_my_columns(recipe: Recipe) -> Recipe:
    mine = current_recipe()
    return recipe.with_changes(target=mine.target, drop_columns=list(mine.drop_columns))


def _apply(recipe: Recipe, kind: str, messages: list[str], name: str) -> None:
    set_recipe(recipe)
    st.session_state["recipe_problem"] = None
    st.session_state["recipe_upload_pending"] = None
    st.session_state["recipe_upload_outcome"] = _outcome(kind, messages, name, recipe)
    forget_setting_widgets()
    # The Data page's column widgets start again from the recipe, not from suggestions.
    st.session_state["drop_needs_refill"] = False
    for key in ("target_column", "drop_columns"):
        st.session_state.pop(key, None)


def _refuse(name: str, problems: list[str]) -> None:
    messages = [TEXT["refused"].format(name=name), *problems]
    st.session_state["recipe_upload_outcome"] = _outcome("refused", messages, name)


def _outcome(kind: str, messages: list[str], name: str, applied: Recipe | None = None) -> dict:
    # Only Trainboard's own sentences name the file: problem messages may quote braces.
    return {"kind": kind, "messages": messages, "name": name, "applied": applied}


def _show_outcome(recipe: Recipe) -> None:
    outcome = st.session_state.get("recipe_upload_outcome")
    if not outcome:
        return
    if outcome["kind"] == "applied" and outcome["applied"] != recipe:
        return  # settings changed since: "every setting is in place" would no longer be true
    text = "\n\n".join(escape_markdown(message) for message in outcome["messages"])
    if outcome["kind"] == "applied":
        st.success(text, icon=":material/check_circle:")
    elif outcome["kind"] == "columns":
        st.warning(text, icon=":material/warning:")
        st.button(TEXT["use_rest"], key="recipe_use_rest", on_click=_use_other_settings)
    else:
        st.error(text, icon=":material/error:")
