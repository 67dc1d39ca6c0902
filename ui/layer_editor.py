"""The hidden-layer editor of the Design page: sizes, add and remove, activation and dropout.

Each layer's widgets are keyed ``layer_<field>_<index>``; like every setting widget they are
seeded from the recipe in session state (see :mod:`ui.recipe_form`, whose range checks and
setting widgets they reuse), and the page writes the layers back into the recipe.
"""

from __future__ import annotations

import streamlit as st

from core.errors import RecipeError
from core.i18n import Texts
from core.model.fields import spec_for
from core.model.recipe import ModelConfig, Recipe
from ui.recipe_form import checked_number, range_problem, render_setting, seed_widget
from ui.text import escape_markdown

TEXT = Texts("ui.layer_editor")


def max_layers() -> int:
    """The largest number of hidden layers a recipe accepts."""
    metadata = ModelConfig.model_fields["hidden_layers"].metadata
    return next((m.max_length for m in metadata if getattr(m, "max_length", None)), 10)


def _layer_keys(index: int) -> dict[str, str]:
    return {field: f"layer_{field}_{index}" for field in ("units", "activation", "dropout")}


def _layers_with_widget_values(layers: list[dict]) -> list[dict]:
    # Values typed into a layer's widgets that have not been written back yet; a value the
    # page has refused (out of range, said under its box) is not carried over.
    merged = []
    for index, layer in enumerate(layers):
        keys = _layer_keys(index)
        row = {}
        for field, key in keys.items():
            typed = st.session_state.get(key, layer[field])
            refused = range_problem(spec_for(f"layer.{field}"), typed) is not None
            row[field] = layer[field] if refused else typed
        merged.append(row)
    return merged


def _forget_layer_widgets() -> None:
    # After adding or removing a layer the widgets are re-seeded from the recipe, so a
    # removed layer's values do not stick to the layer that moves into its place.
    for key in [k for k in st.session_state if str(k).startswith("layer_")]:
        del st.session_state[key]


def _change_layers(remove: int | None = None) -> None:
    recipe: Recipe = st.session_state["recipe"]
    layers = _layers_with_widget_values(recipe.to_dict()["model"]["hidden_layers"])
    if remove is None:
        template = dict(layers[-1]) if layers else spec_defaults()
        template["units"] = max(1, template["units"] // 2) if layers else template["units"]
        layers.append(template)
    else:
        layers.pop(remove)
    try:
        st.session_state["recipe"] = recipe.with_changes(**{"model.hidden_layers": layers})
    except RecipeError as error:  # a callback's exception would reach the user as a traceback
        st.toast(escape_markdown(str(error)), icon=":material/error:")
        return
    _forget_layer_widgets()


def spec_defaults() -> dict:
    """A new layer's settings: the defaults declared in the recipe."""
    return {
        field: spec_for(f"layer.{field}").default for field in ("units", "activation", "dropout")
    }


def render_layer_sizes(layers: list[dict], problems: list[str] | None = None) -> None:
    """Neurons per layer, a remove button per layer and an "Add a layer" button (in place).

    A number of neurons outside the allowed range is explained under its row and added to
    ``problems``; the layer keeps its last valid size.
    """
    if not layers:
        st.caption(TEXT["no_layers"])
    units_spec = spec_for("layer.units")
    for index, layer in enumerate(layers):
        left, right = st.columns([2, 1], vertical_alignment="bottom")  # room for "Remove"
        with left:
            key = _layer_keys(index)["units"]
            seed_widget(key, int(layer["units"]))
            units = st.number_input(
                TEXT["layer_field"].format(n=index + 1, label=units_spec.label),
                step=8,
                key=key,
                help=units_spec.help,
            )
        with right:
            st.button(
                TEXT["remove_layer"],
                key=f"layer_remove_{index}",
                on_click=_change_layers,
                kwargs={"remove": index},
                icon=":material/delete:",
            )
        # Said under the row, at full width, rather than squeezed beside the Remove button.
        layer["units"] = checked_number(units_spec, units, layer["units"], problems)
    full = len(layers) >= max_layers()
    st.button(
        TEXT["add_layer"],
        key="layer_add",
        on_click=_change_layers,
        disabled=full,
        icon=":material/add:",
    )
    if full:
        st.caption(TEXT["layers_full"].format(n=max_layers()))


def render_layer_details(layers: list[dict]) -> None:
    """Activation and dropout of each layer (advanced settings), in place."""
    for index, layer in enumerate(layers):
        st.markdown(f"**{TEXT['layer'].format(n=index + 1)}**")
        keys = _layer_keys(index)
        for field in ("activation", "dropout"):
            layer[field] = render_setting(spec_for(f"layer.{field}"), layer[field], key=keys[field])
