"""Step 1: choose a CSV or Excel file (or a sample), look at it, choose the column to predict."""

import streamlit as st

from core.errors import TrainboardError
from ui.columns import choose_dropped, choose_target, show_health, show_profile
from ui.data import (
    choose_sheet,
    column_sketches_for,
    profile_dataset,
    read_dataset,
    sample_bytes,
    upload_box,
)
from ui.outcome import show_outcome_by_column, show_outcome_mix
from ui.state import choose_dataset, current_dataset, current_recipe, set_recipe
from ui.text import escape_markdown, show_error

TEXT = {
    "title": "1. Your data",
    "intro": "Start from a table saved as CSV or as an Excel workbook (.xlsx). Each row is one "
    "example (a customer, a sale...), each column one thing known about it.",
    "or_sample": "...or try a sample dataset with one click",
    "sample_label": "Sample datasets",
    "samples": {
        # (button, column to predict, what it predicts: one short line)
        "telco_churn.csv": (
            "Customer churn",
            "churn",
            "will a customer leave? (yes/no, 7,000 rows)",
        ),
        "penguins.csv": ("Penguin species", "species", "which of 3 species is it? (344 birds)"),
        "diamonds.csv": ("Diamond prices", "price", "what is it worth? (a number, 54,000 rows)"),
    },
    "sample_line": "**{title}**: {what}",
    "using": "Using **{name}**: {rows:,} rows, {columns} columns.",
    "preview": "A first look (the first 100 rows)",
    "task": "With **{target}** as the column to predict, the model will be **{task}**.",
    "classes": "Possible outcomes: {labels}",
    "no_target": "Choose the column to predict to continue.",
    "next": "Next: prepare the data and design the network",
    "no_data": "Upload a CSV or Excel file, or pick a sample dataset above, to begin.",
}


def _load_sample() -> None:
    choice = st.session_state.get("sample_dataset")
    if choice:
        choose_dataset(choice, sample_bytes(choice), target=TEXT["samples"][choice][1])


def choose_file() -> None:
    """The uploader and the sample picker; either one replaces the current dataset."""
    upload_col, sample_col = st.columns(2)
    with upload_col:
        upload_box()
    with sample_col:
        samples = TEXT["samples"]
        if "sample_dataset" not in st.session_state and st.session_state["data_name"] in samples:
            st.session_state["sample_dataset"] = st.session_state["data_name"]
        st.segmented_control(
            TEXT["or_sample"],
            list(samples),
            key="sample_dataset",
            format_func=lambda name: samples[name][0],
            on_change=_load_sample,
        )
        # One short line per sample, in one caption: as tall as the uploader beside it.
        st.caption(
            "  \n".join(
                TEXT["sample_line"].format(title=title, what=what)
                for title, _, what in samples.values()
            )
        )


def main() -> None:
    st.title(TEXT["title"])
    st.markdown(TEXT["intro"])
    choose_file()
    dataset = current_dataset()
    if dataset is None:
        st.info(TEXT["no_data"])
        return
    table = read_dataset(dataset)
    choose_sheet(dataset, table)
    st.markdown(
        TEXT["using"].format(
            name=escape_markdown(dataset.name), rows=len(table), columns=table.shape[1]
        )
    )
    with st.expander(TEXT["preview"], expanded=True):
        # An empty cell shows empty, as in a spreadsheet (not as "None").
        st.dataframe(table.head(100), hide_index=True, height=280, placeholder="")
    recipe = current_recipe()
    columns = [str(c) for c in table.columns]
    target = choose_target(columns, recipe.target)
    profile = profile_dataset(dataset, target, recipe.split.test_fraction)
    if target is None or profile.task is None:
        st.info(TEXT["no_target"])
    else:
        st.info(
            TEXT["task"].format(
                target=escape_markdown(target), task=escape_markdown(profile.task.describe())
            )
        )
        if profile.task.class_labels:
            st.caption(
                TEXT["classes"].format(
                    labels=", ".join(
                        escape_markdown(label) for label in profile.task.class_labels[:20]
                    )
                )
            )
        show_outcome_mix(dataset, profile)
    dropped = choose_dropped(profile, [c for c in columns if c != target], recipe.drop_columns)
    set_recipe(recipe.with_changes(target=target, drop_columns=dropped))
    show_profile(profile, column_sketches_for(dataset, profile))
    if profile.task is not None:
        show_outcome_by_column(dataset, profile, dropped)
    show_health(profile, [c for c in profile.suggested_drop if c in dropped])
    if target is not None:
        st.page_link("app_pages/design.py", label=TEXT["next"], icon=":material/arrow_forward:")


try:
    main()
except TrainboardError as error:
    show_error(error)
