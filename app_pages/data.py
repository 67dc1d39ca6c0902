"""Step 1: choose a CSV or Excel file (or a sample), look at it, choose the column to predict."""

import streamlit as st

from core.errors import TrainboardError
from core.model.starting_recipe import starting_recipe
from ui.data import (
    choose_sheet,
    profile_dataset,
    profile_frame,
    read_dataset,
    sample_bytes,
    upload_box,
)
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
    "target_header": "What should the model predict?",
    "target_label": "Column to predict",
    "target_placeholder": "Choose the column to predict",
    "target_help": "The column the model learns to fill in for new rows, "
    "e.g. whether a customer left.",
    "task": "With **{target}** as the column to predict, the model will be **{task}**.",
    "classes": "Possible outcomes: {labels}",
    "no_target": "Choose the column to predict to continue.",
    "drop_label": "Columns to leave out",
    "drop_help": "The model will not see these columns. Leave out identifiers, free text, and "
    "anything only known after the outcome (that would be cheating).",
    "drop_why": "Suggested to leave out:",
    "drop_reason": "**{column}**: {reason}",
    "drop_reason_default": "not useful for learning",
    "profile_header": "Column by column",
    "headers": {
        "column": "Column",
        "kind": "Kind",
        "missing": "Missing %",
        "distinct": "Different values",
        "examples": "Examples",
    },
    "kinds": {
        "numeric": "Number",
        "categorical": "Category",
        "boolean": "Yes/no",
        "date": "Date",
        "text": "Free text",
        "identifier": "Identifier (different in every row)",
        "constant": "Same value everywhere",
        "empty": "Empty",
    },
    "health_header": "Health check",
    "healthy": "No problems found in the data.",
    "next": "Next: prepare the data and design the network",
    "no_data": "Upload a CSV or Excel file, or pick a sample dataset above, to begin.",
}

PROFILE_ROWS_SHOWN = 40
ROW_PX = 35  # st.dataframe's default row height


def _load_sample() -> None:
    choice = st.session_state.get("sample_dataset")
    if choice:
        choose_dataset(choice, sample_bytes(choice), target=TEXT["samples"][choice][1])


def _refill_drop() -> None:
    st.session_state["drop_needs_refill"] = True


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


def choose_target(columns: list[str], current: str | None) -> str | None:
    """The column to predict (a selectbox shows option names as plain text)."""
    st.subheader(TEXT["target_header"])
    if st.session_state.get("target_column") not in columns:
        st.session_state["target_column"] = current if current in columns else None
    return st.selectbox(
        TEXT["target_label"],
        columns,
        key="target_column",
        index=None,
        placeholder=TEXT["target_placeholder"],
        help=TEXT["target_help"],
        on_change=_refill_drop,
    )


def choose_dropped(profile, options: list[str], current: tuple[str, ...]) -> list[str]:
    """Columns to leave out, pre-filled with the profile's suggestions and the reasons why."""
    if st.session_state.get("drop_needs_refill"):
        # What the app starts from for this file: one rule, shared with `trainboard recipe`.
        starting = starting_recipe(profile).drop_columns
        st.session_state["drop_columns"] = [c for c in starting if c in options]
        st.session_state["drop_needs_refill"] = False
    elif "drop_columns" not in st.session_state:
        st.session_state["drop_columns"] = [c for c in current if c in options]
    else:  # a new target may have removed a chosen column from the options
        st.session_state["drop_columns"] = [
            c for c in st.session_state["drop_columns"] if c in options
        ]
    dropped = st.multiselect(
        TEXT["drop_label"], options, key="drop_columns", help=TEXT["drop_help"]
    )
    suggested = [c for c in profile.suggested_drop if c in options]
    if suggested:
        reasons = {w.column: w.message for w in profile.warnings if w.column in suggested}
        lines = [
            TEXT["drop_reason"].format(
                column=escape_markdown(c),
                reason=escape_markdown(reasons.get(c, TEXT["drop_reason_default"])),
            )
            for c in suggested
        ]
        st.caption("\n\n".join([TEXT["drop_why"], *lines]))
    return dropped


def show_health(profile, suggested: list[str]) -> None:
    """Health warnings in plain words (those explaining a suggested column are shown above)."""
    st.subheader(TEXT["health_header"])
    shown = [w for w in profile.warnings if w.column is None or w.column not in suggested]
    if not shown:
        st.success(TEXT["healthy"])
    for warning in shown:
        box = {"error": st.error, "warning": st.warning}.get(warning.severity, st.info)
        box(escape_markdown(warning.message))


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
    dropped = choose_dropped(profile, [c for c in columns if c != target], recipe.drop_columns)
    set_recipe(recipe.with_changes(target=target, drop_columns=dropped))
    st.subheader(TEXT["profile_header"])
    profile_table = profile_frame(profile, TEXT["kinds"], TEXT["headers"])
    # Every column in view up to ~40 (no box scrolling inside the page); beyond, a tall box.
    st.dataframe(
        profile_table,
        hide_index=True,
        height="content"
        if len(profile_table) <= PROFILE_ROWS_SHOWN
        else ROW_PX * (PROFILE_ROWS_SHOWN + 1),  # the header row, then 40 rows
    )
    show_health(profile, [c for c in profile.suggested_drop if c in dropped])
    if target is not None:
        st.page_link("app_pages/design.py", label=TEXT["next"], icon=":material/arrow_forward:")


try:
    main()
except TrainboardError as error:
    show_error(error)
