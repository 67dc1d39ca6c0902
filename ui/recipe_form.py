"""Recipe settings as widgets, generated from the recipe's own field metadata.

Each setting's label, help text, range, default and choices come from
:func:`core.model.fields.field_specs`, so the wording lives next to the value in
``core/recipe.py``. The recipe in session state is the source of truth: a widget is
seeded from it the first time it is drawn (widget values are dropped by Streamlit
when the user visits another page), and the page writes the values back through
``Recipe.from_dict`` after every change.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.glossary import term_for_setting
from core.i18n import Texts
from core.model.choices import optimizers_using
from core.model.fields import FieldSpec, field_specs
from core.model.recipe import Recipe
from ui.glossary import explain_setting
from ui.text import escape_markdown

TEXT = Texts("ui.recipe_form")

# Settings drawn by their own widgets elsewhere (the Data page, the layer editor).
CUSTOM_SETTINGS = {"target", "drop_columns", "model.hidden_layers"}
# Stable widget keys the end-to-end tests rely on; other settings use "opt_<path>".
WIDGET_KEYS = {"training.max_epochs": "epochs"}
# A setting shown only while another one has one of some values (so it cannot be set in
# vain). Which optimizers a training setting applies to is read from the optimizer table.
SHOWN_WHEN: dict[str, tuple[str, tuple[Any, ...]]] = {
    "training.momentum": ("training.optimizer", optimizers_using("momentum")),
    "preprocessing.numeric_fill_value": ("preprocessing.numeric_missing", ("constant",)),
    "training.patience": ("training.early_stopping", (True,)),
}
# Settings that stay where they are (advanced) but are hidden while they do not apply:
# plain gradient descent always looks at all training rows, so it has no batch size.
APPLIES_WHEN: dict[str, tuple[str, tuple[Any, ...]]] = {
    "training.batch_size": ("training.optimizer", optimizers_using("batch_size")),
}
# Number settings whose useful values are tiny or large get a typed box with this step;
# other fractions between 0 and 1 get a slider.
NUMBER_STEPS = {
    "model.l1": 1e-5,
    "model.l2": 1e-5,
    "training.learning_rate": 1e-4,
    "preprocessing.numeric_fill_value": 1.0,
}
SLIDER_STEP = 0.01
NUMBER_KINDS = ("int", "optional_int", "float", "optional_float")


def widget_key(path: str) -> str:
    """The widget key of one recipe setting."""
    return WIDGET_KEYS.get(path, "opt_" + path.replace(".", "_"))


def explained_row(alignment: str = "bottom"):
    """A row for a widget and its "What is this?" popover.

    The popover takes the width of its label and the widget the rest (fixed columns would
    either cut the label or squeeze the widget in the narrow settings column). Aligned at
    the bottom, the popover sits level with an input's box under its label; a toggle, which
    has no label above it, is centred instead.
    """
    return st.container(horizontal=True, vertical_alignment=alignment, wrap=False)


def explain_key(key: str) -> str:
    """The key of the "What is this?" popover beside the widget with key ``key``."""
    return f"why_{key}"


def recipe_settings() -> list[FieldSpec]:
    """The settings this form draws, in the recipe's declaration order."""
    return [spec for spec in field_specs(Recipe) if spec.path not in CUSTOM_SETTINGS]


def section_of(spec: FieldSpec) -> str:
    """The section a setting belongs to (top-level settings such as the seed go to training)."""
    head = spec.path.split(".", 1)[0]
    return head if head in TEXT["sections"] else "training"


def get_setting(data: dict, path: str) -> Any:
    """The value at a dotted path of a recipe dict."""
    node: Any = data
    for part in path.split("."):
        node = node[part]
    return node


def set_setting(data: dict, path: str, value: Any) -> None:
    """Set the value at a dotted path of a recipe dict (in place)."""
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[leaf] = value


def main_choices(specs: list[FieldSpec]) -> list[FieldSpec]:
    """The main choices (group "basic"), each followed by the settings that only apply with it.

    A setting shown only for one value of a main choice (momentum for SGD, the fixed number
    for empty cells, the patience of early stopping) appears right under that choice, where
    the person who just picked it looks, rather than in the advanced settings.
    """
    chosen = []
    for spec in specs:
        if spec.group == "basic":
            chosen.append(spec)
            chosen.extend(s for s in specs if SHOWN_WHEN.get(s.path, ("",))[0] == spec.path)
    return chosen


def other_settings(specs: list[FieldSpec]) -> list[FieldSpec]:
    """The settings that are not among :func:`main_choices` (the advanced settings)."""
    main = {spec.path for spec in main_choices(specs)}
    return [spec for spec in specs if spec.path not in main]


def is_shown(path: str, values: dict) -> bool:
    """Whether a setting applies given the values chosen so far."""
    condition = SHOWN_WHEN.get(path) or APPLIES_WHEN.get(path)
    if condition is None:
        return True
    other, wanted = condition
    return get_setting(values, other) in wanted


def seed_widget(key: str, value: Any) -> None:
    """Give the widget with ``key`` its first value (from the recipe in session state).

    Seeded once; afterwards the widget owns the value until the user leaves the page.
    """
    if key not in st.session_state:
        st.session_state[key] = value


def _number(value: float) -> str:
    # 0.001 rather than 1e-03, 100 rather than 100.0: the way a person types it.
    return f"{value:g}"


def range_problem(spec: FieldSpec, value: Any) -> str | None:
    """The plain sentence saying ``value`` is outside the setting's allowed range, or None.

    Number boxes are drawn without browser-side bounds on purpose: a browser that refuses a
    value only turns the box red and keeps the old value, with the reason in a hover icon.
    The value reaches the page instead, which says in words what the range is.
    """
    if value is None:
        return None if spec.kind.startswith("optional") else TEXT["empty"].format(label=spec.label)
    low, high = spec.minimum, spec.maximum
    too_low = low is not None and (value <= low if spec.exclusive_minimum else value < low)
    too_high = high is not None and (value >= high if spec.exclusive_maximum else value > high)
    if not (too_low or too_high):
        return None
    low_words = None
    if low is not None:
        low_words = TEXT["more_than" if spec.exclusive_minimum else "at_least"].format(
            n=_number(low)
        )
    high_words = None
    if high is not None:
        high_words = TEXT["less_than" if spec.exclusive_maximum else "at_most"].format(
            n=_number(high)
        )
    allowed = TEXT["and"].join(words for words in (low_words, high_words) if words)
    return TEXT["out_of_range"].format(label=spec.label, value=_number(value), allowed=allowed)


def checked_number(spec: FieldSpec, value: Any, current: Any, problems: list[str] | None) -> Any:
    """``value`` if it is in the setting's range, else ``current`` (the last valid value).

    An out-of-range value is said under its box (and added to ``problems``), not used.
    """
    problem = range_problem(spec, value)
    if problem is None:
        return value
    st.error(escape_markdown(problem), icon=":material/error:")
    if problems is not None:
        problems.append(problem)
    return current


def render_setting(
    spec: FieldSpec, current: Any, key: str | None = None, problems: list[str] | None = None
) -> Any:
    """Draw one setting as the widget its kind calls for and return the chosen value.

    A setting the glossary explains gets a "What is this?" popover beside its widget (the
    short help stays on the widget's own icon). A number outside the setting's range is
    explained under the row, added to ``problems`` and not returned: the last valid value
    (``current``) is.
    """
    key = key or widget_key(spec.path)
    if term_for_setting(spec.path) is None:
        value = _widget(spec, current, key)
    else:
        with explained_row("center" if spec.kind == "bool" else "bottom"):
            # In its own stretching box, a long label wraps instead of being cut ("...").
            with st.container(width="stretch"):
                value = _widget(spec, current, key)
            explain_setting(spec.path, key=explain_key(key))
    if spec.kind in NUMBER_KINDS and not _uses_slider(spec):
        return checked_number(spec, value, current, problems)  # said under the widget's whole row
    return value


def _uses_slider(spec: FieldSpec) -> bool:
    # Fractions between 0 and 1 without a typed step; a slider cannot leave its range.
    low, high = spec.minimum, spec.maximum
    return (
        spec.kind == "float"
        and spec.path not in NUMBER_STEPS
        and low is not None
        and high is not None
        and 0.0 <= low
        and high <= 1.0
    )


def _widget(spec: FieldSpec, current: Any, key: str) -> Any:
    """The widget of one setting (seeded from ``current``) and the value it holds."""
    label, help_text = spec.label, spec.full_help or None
    if spec.kind == "choice":
        choices = spec.choices or {}
        seed_widget(key, current)
        return st.selectbox(
            label,
            list(choices),
            format_func=lambda v: choices.get(v, str(v)),
            key=key,
            help=help_text,
        )
    if spec.kind == "bool":
        seed_widget(key, bool(current))
        return st.toggle(label, key=key, help=help_text)
    if spec.kind in ("int", "optional_int"):
        seed_widget(key, None if current is None else int(current))
        return st.number_input(
            label, step=1, key=key, help=help_text, placeholder=TEXT["automatic"]
        )
    if spec.kind in ("float", "optional_float"):
        seed_widget(key, None if current is None else float(current))
        low, high = spec.minimum, spec.maximum
        if _uses_slider(spec):  # a slider cannot leave its range
            top = high - SLIDER_STEP if spec.exclusive_maximum else high
            return st.slider(
                label,
                min_value=float(low),
                max_value=float(top),
                step=SLIDER_STEP,
                key=key,
                help=help_text,
            )
        return st.number_input(
            label,
            step=NUMBER_STEPS.get(spec.path, 0.1),
            format="%g",
            key=key,
            help=help_text,
            placeholder=TEXT["automatic"],
        )
    return current  # kind "other": drawn by its own widget elsewhere


def render_settings(
    specs: list[FieldSpec], values: dict, problems: list[str] | None = None
) -> None:
    """Draw ``specs`` that apply, writing each chosen value into ``values`` (a recipe dict).

    Values outside their range are explained in the page and collected in ``problems``.
    """
    for spec in specs:
        if is_shown(spec.path, values):
            value = render_setting(spec, get_setting(values, spec.path), problems=problems)
            set_setting(values, spec.path, value)


def build_recipe(values: dict) -> Recipe:
    """Validate the edited settings (raises RecipeError with the reason in plain words)."""
    return Recipe.from_dict(values)


def reset_settings() -> None:
    """Callback: back to the recommended settings, keeping the column choices."""
    recipe: Recipe = st.session_state["recipe"]
    st.session_state["recipe"] = Recipe(target=recipe.target, drop_columns=recipe.drop_columns)
    st.session_state["recipe_problem"] = None
    forget_setting_widgets()


def forget_setting_widgets() -> None:
    """Drop every setting widget's value, so each is seeded again from the recipe in state."""
    for key in list(st.session_state):
        if str(key).startswith(("opt_", "layer_")) or key in WIDGET_KEYS.values():
            del st.session_state[key]
