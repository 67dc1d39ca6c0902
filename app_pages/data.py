"""Step 1: choose a CSV or Excel file (or a sample), look at it, choose the column to predict."""

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
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
from ui.text import escape_markdown, join_words, show_error

# Sample file -> (its key in TEXT, the column it predicts).
SAMPLES = {
    "telco_churn.csv": ("telco_churn", "churn"),
    "penguins.csv": ("penguins", "species"),
    "diamonds.csv": ("diamonds", "price"),
}
TEXT = Texts("pages.data")


def _load_sample() -> None:
    choice = st.session_state.get("sample_dataset")
    if choice:
        choose_dataset(choice, sample_bytes(choice), target=SAMPLES[choice][1])


def choose_file() -> None:
    """The uploader and the sample picker; either one replaces the current dataset."""
    upload_col, sample_col = st.columns(2)
    with upload_col:
        upload_box()
    with sample_col:
        samples = SAMPLES
        if "sample_dataset" not in st.session_state and st.session_state["data_name"] in samples:
            st.session_state["sample_dataset"] = st.session_state["data_name"]
        st.segmented_control(
            TEXT["or_sample"],
            list(samples),
            key="sample_dataset",
            format_func=lambda name: TEXT[f"samples.{samples[name][0]}.title"],
            on_change=_load_sample,
        )
        # One short line per sample, in one caption: as tall as the uploader beside it.
        st.caption(
            "  \n".join(
                TEXT["sample_line"].format(
                    title=TEXT[f"samples.{key}.title"], what=TEXT[f"samples.{key}.what"]
                )
                for key, _ in samples.values()
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
                    labels=join_words(
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
