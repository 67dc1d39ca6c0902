"""Step 2: how the data is prepared and how the network is shaped, with a live diagram."""

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.model.architecture import describe_network, estimate_input_width
from core.model.recipe import TrainingConfig
from ui.charts import network_diagram
from ui.data import profile_dataset
from ui.experiments import experiment_section
from ui.glossary import explain_setting
from ui.layer_editor import render_layer_details, render_layer_sizes
from ui.recipe_files import recipe_files
from ui.recipe_form import TEXT as FORM_TEXT
from ui.recipe_form import (
    build_recipe,
    explain_key,
    explained_row,
    main_choices,
    other_settings,
    recipe_settings,
    render_settings,
    reset_settings,
    section_of,
    widget_key,
)
from ui.state import current_dataset, current_recipe, set_recipe
from ui.text import escape_markdown, show_error
from ui.tuning import tuning_section

TEXT = Texts("pages.design")


def basic_settings(values: dict, specs: list, problems: list[str]) -> None:
    """The choices people come to make: preparation, layer sizes, optimizer and learning rate."""
    st.subheader(TEXT["basic"])
    for section, title in FORM_TEXT["sections"].items():
        shown = [s for s in main_choices(specs) if section_of(s) == section]
        if not shown and section != "model":
            continue
        st.markdown(f"##### {title}")
        if section == "model":
            with explained_row("center"):
                st.markdown(f"**{TEXT['layers']}**", help=TEXT["layers_help"], width="stretch")
                explain_setting("model.hidden_layers", key=explain_key("hidden_layers"))
            render_layer_sizes(values["model"]["hidden_layers"], problems)
        for spec in shown:
            render_settings([spec], values, problems)
            # Only while the box is empty (not holding a refused value): what "automatic" is.
            empty = st.session_state.get(widget_key(spec.path)) is None
            if spec.path == "training.learning_rate" and empty:
                method = TrainingConfig(optimizer=values["training"]["optimizer"])
                st.caption(TEXT["automatic_rate"].format(rate=method.effective_learning_rate))


def advanced_settings(values: dict, specs: list, problems: list[str]) -> None:
    """Everything else, sub-grouped by section (data, splitting, network, training)."""
    # Keyed and tracked, so it stays open when a main choice above adds or removes a box
    # (an untracked expander that moves down the page is drawn anew, closed).
    with st.expander(TEXT["advanced"], key="design_advanced", on_change="rerun"):
        for section, title in FORM_TEXT["sections"].items():
            shown = [s for s in other_settings(specs) if section_of(s) == section]
            if not shown and section != "model":
                continue
            st.markdown(f"##### {title}")
            render_settings(shown, values, problems)
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
    dropped = set(recipe.drop_columns) | {recipe.target}
    numbers = sum(1 for c in profile.columns if c.kind == "numeric" and c.name not in dropped)
    summary = describe_network(
        inputs,
        recipe.model,
        profile.task.task,
        len(profile.task.class_labels),
        numbers,
        recipe.split.training_rows(profile.n_rows),
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
    problems: list[str] = []
    # The settings get the wider column, so every choice's label reads in full at 1280 px;
    # the diagram still has room for 4-5 layers side by side.
    settings_col, diagram_col = st.columns([3, 2], gap="large")
    with settings_col:
        basic_settings(values, specs, problems)
        advanced_settings(values, specs, problems)
    try:
        if problems:  # each is said under its own box; the recipe keeps its last valid value
            st.session_state["recipe_problem"] = problems[0]
        else:
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
        recipe_files(recipe)
    ready = st.session_state["recipe_problem"] is None
    tuning_section(recipe, current_dataset(), ready=ready)
    experiment_section(recipe, current_dataset(), ready=ready)


try:
    main()
except TrainboardError as error:
    show_error(error)
