"""Step 2: how the data is prepared and how the network is shaped, with a live diagram."""

import streamlit as st

from core.errors import TrainboardError
from core.model.architecture import describe_network, estimate_input_width
from ui.charts import network_diagram
from ui.data import profile_dataset
from ui.recipe_form import (
    TEXT as FORM_TEXT,
)
from ui.recipe_form import (
    build_recipe,
    recipe_settings,
    render_layer_details,
    render_layer_sizes,
    render_settings,
    reset_settings,
    section_of,
)
from ui.state import current_dataset, current_recipe, set_recipe
from ui.text import escape_markdown, show_error

TEXT = {
    "title": "2. Prepare & design",
    "intro": "The recommended settings suit most business data: you can train right away. "
    "Change the few choices below if you like, or open the advanced settings.",
    "basic": "The main choices",
    "layers": "Hidden layers",
    "layers_help": "Each layer is a row of neurons. Two layers of a few dozen neurons suit most "
    "tables; bigger networks need more rows to learn from.",
    "advanced": "Advanced settings",
    "reset": "Back to the recommended settings",
    "diagram": "Your network",
    "diagram_caption": "From left to right: the inputs the data turns into ({inputs}), the hidden "
    "layers, and the answer ({task}).",
    "no_data": "Choose your data and the column to predict to see the network drawn here.",
    "to_data": "Go to step 1: your data",
    "kept": "The last valid settings are kept until this is fixed.",
    "next": "Next: train the network",
}


def basic_settings(values: dict, specs: list) -> None:
    """The few choices that matter first, and the layer editor."""
    st.subheader(TEXT["basic"])
    render_settings([s for s in specs if s.group == "basic"], values)
    st.markdown(f"**{TEXT['layers']}**", help=TEXT["layers_help"])
    render_layer_sizes(values["model"]["hidden_layers"])


def advanced_settings(values: dict, specs: list) -> None:
    """Everything else, sub-grouped by section (data, splitting, network, training)."""
    with st.expander(TEXT["advanced"]):
        for section, title in FORM_TEXT["sections"].items():
            st.markdown(f"#### {title}")
            render_settings(
                [s for s in specs if s.group == "advanced" and section_of(s) == section], values
            )
            if section == "model":
                render_layer_details(values["model"]["hidden_layers"])
        st.button(
            TEXT["reset"],
            key="recipe_reset",
            on_click=reset_settings,
            icon=":material/restart_alt:",
        )


def diagram(recipe) -> None:
    """The network as boxes, with the number of weights, for the current data and recipe."""
    st.subheader(TEXT["diagram"])
    dataset = current_dataset()
    if dataset is None or recipe.target is None:
        st.info(TEXT["no_data"])
        st.page_link("app_pages/data.py", label=TEXT["to_data"], icon=":material/arrow_back:")
        return
    profile = profile_dataset(dataset, recipe.target, recipe.split.test_fraction)
    if profile.task is None:
        st.info(TEXT["no_data"])
        return
    inputs = estimate_input_width(profile, recipe)
    summary = describe_network(
        inputs, recipe.model, profile.task.task, len(profile.task.class_labels)
    )
    figure = network_diagram(
        summary.layers, summary.n_parameters, shortcut=recipe.model.linear_shortcut
    )
    st.plotly_chart(figure, key="network_diagram")
    st.caption(
        TEXT["diagram_caption"].format(inputs=inputs, task=escape_markdown(profile.task.describe()))
    )


def main() -> None:
    st.title(TEXT["title"])
    st.write(TEXT["intro"])
    recipe = current_recipe()
    values = recipe.to_dict()
    specs = recipe_settings()
    settings_col, diagram_col = st.columns(2, gap="large")  # room for 4-5 layers side by side
    with settings_col:
        basic_settings(values, specs)
        advanced_settings(values, specs)
    try:
        recipe = build_recipe(values)
        set_recipe(recipe)
        st.session_state["recipe_problem"] = None
    except TrainboardError as error:
        st.session_state["recipe_problem"] = str(error)
        with settings_col:
            show_error(error)
            st.caption(TEXT["kept"])
    with diagram_col:
        diagram(recipe)
        if st.session_state["recipe_problem"] is None and recipe.target is not None:
            st.page_link("app_pages/train.py", label=TEXT["next"], icon=":material/arrow_forward:")


try:
    main()
except TrainboardError as error:
    show_error(error)
