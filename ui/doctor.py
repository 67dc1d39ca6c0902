"""The training doctor's findings, drawn the same way on every page that shows them.

:func:`show_diagnoses` draws a list of :class:`core.model.diagnosis_rules.Diagnosis`
(from :func:`core.model.diagnosis.diagnose` live, or a finished run's ``result.diagnosis``)
as plain boxes, each fix a keyed button that changes the session's recipe (callbacks run
before the redraw, so the Design page and the sentence saying what changed agree at once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from core.errors import TrainboardError
from core.i18n import Texts
from core.model.diagnosis_rules import Diagnosis
from core.model.fields import spec_for
from core.model.remedies import Fix
from ui.state import current_recipe, set_recipe
from ui.text import escape_markdown, join_words

TEXT = Texts("ui.doctor")
BOXES = {"problem": st.error, "warning": st.warning, "info": st.info, "ok": st.success}
# As lines with an icon (where a box above already says how the run ended, and a second
# coloured box would compete with it).
ICONS = {
    "problem": ":material/error:",
    "warning": ":material/warning:",
    "info": ":material/info:",
    "ok": ":material/check_circle:",
}
FIX_ICON = ":material/build:"


def _applied_key(key_prefix: str) -> str:
    """Where the sentence saying what the last fix on this part of a page changed is kept."""
    return f"{key_prefix}_applied"


def as_diagnoses(entries: Sequence[Diagnosis | Mapping[str, Any]]) -> list[Diagnosis]:
    """Diagnoses from a run's stored ``diagnosis`` list (dicts) or already typed."""
    return [e if isinstance(e, Diagnosis) else Diagnosis.from_dict(e) for e in entries]


def describe_fix(fix: Fix) -> str:
    """ "Dropout set to 0.5" for plain settings; the fix's own label for the rest."""
    parts = []
    for path, value in fix.changes.items():
        try:
            label = spec_for(path).label
        except KeyError:
            return fix.label
        if isinstance(value, (list, dict)):
            return fix.label
        parts.append(TEXT["change"].format(label=label, value=value))
    return join_words(parts) or fix.label


def _apply(fix: Fix, key_prefix: str) -> None:
    try:
        set_recipe(fix.apply(current_recipe()))
    except TrainboardError as error:
        st.session_state[_applied_key(key_prefix)] = TEXT["failed"].format(error=error)
        return
    st.session_state[_applied_key(key_prefix)] = TEXT["applied"].format(changes=describe_fix(fix))


def fix_button_key(key_prefix: str, index: int, code: str, number: int) -> str:
    """The key of one fix button (tests find the buttons by it)."""
    return f"{key_prefix}_fix_{index}_{code}_{number}"


def show_diagnoses(
    diagnoses: Sequence[Diagnosis | Mapping[str, Any]],
    key_prefix: str,
    *,
    codes: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    title: str | None = None,
    as_lines: bool = False,
) -> None:
    """Each finding in plain words, with its fixes as buttons that change the session's recipe.

    Parameters
    ----------
    diagnoses
        The findings, most serious first (typed, or dicts as a run's result stores them).
    key_prefix
        Prefix of the button keys, unique on the page (e.g. "evaluate_doctor").
    codes
        Only these diagnosis codes, when given (the Evaluate page shows what matters there).
    exclude
        Leave these codes out.
    title
        A subheader drawn above the findings, only when there are some.
    as_lines
        Lines with an icon instead of coloured boxes.
    """
    found = [
        d
        for d in as_diagnoses(diagnoses)
        if (codes is None or d.code in codes) and d.code not in exclude
    ]
    if found and title:
        st.subheader(title)
    for index, finding in enumerate(found):
        text = f"**{escape_markdown(finding.title)}** {escape_markdown(finding.message)}"
        if as_lines:
            st.markdown(f"{ICONS.get(finding.severity, ICONS['info'])} {text}")
        else:
            BOXES.get(finding.severity, st.info)(text)
        if finding.fixes:
            columns = st.columns(len(finding.fixes))
            for number, (column, fix) in enumerate(zip(columns, finding.fixes, strict=True)):
                column.button(
                    fix.label,
                    key=fix_button_key(key_prefix, index, finding.code, number),
                    icon=FIX_ICON,
                    on_click=_apply,
                    args=(fix, key_prefix),
                )
    applied = st.session_state.get(_applied_key(key_prefix))
    if found and applied:
        st.success(escape_markdown(applied), icon=":material/check:")
