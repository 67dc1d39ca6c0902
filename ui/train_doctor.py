"""The training doctor on the Train page: what the curves show, with one-click fixes.

While a run trains, the findings come live from its history
(:func:`core.model.diagnosis.diagnose`); once it ended, from the run's own result
(``result.diagnosis``, written by :func:`core.model.diagnosis.diagnose_run`). Each fix
is a keyed button that changes the session's recipe, and says what it changed.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.errors import TrainboardError
from core.model.diagnosis import diagnose, diagnose_run
from core.model.diagnosis_rules import Diagnosis
from core.model.fields import spec_for
from core.model.remedies import Fix
from ui.state import current_recipe, set_recipe
from ui.text import escape_markdown

TEXT = {
    "title": "What the curves say",
    "applied": "{changes}: start a new run to try it.",
    "change": "{label} set to {value}",
    "failed": "That change could not be made: {error}",
}
# Findings are lines with an icon, not coloured boxes: the box above them says how the run
# ended, and a second green or red box would compete with it.
ICONS = {
    "problem": ":material/error:",
    "warning": ":material/warning:",
    "info": ":material/info:",
    "ok": ":material/check_circle:",
}
APPLIED_KEY = "doctor_applied"  # the sentence saying what the last fix changed


def findings(status: Any) -> list[Diagnosis]:
    """The doctor's findings for a run: from its result once ended, else live from its curves."""
    result = status.result
    if result is not None and result.diagnosis:
        return [Diagnosis.from_dict(entry) for entry in result.diagnosis]
    if result is not None:  # a run from before the doctor: read its curves now
        return diagnose_run(result.to_dict(), current_recipe()) if result.history else []
    if not status.history:
        return []
    return diagnose([report.to_dict() for report in status.history], current_recipe())


def _described(fix: Fix) -> str:
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
    return ", ".join(parts) or fix.label


def _apply(fix: Fix) -> None:
    # A callback: runs before the redraw, so the design page and this sentence agree at once.
    try:
        set_recipe(fix.apply(current_recipe()))
    except TrainboardError as error:
        st.session_state[APPLIED_KEY] = TEXT["failed"].format(error=error)
        return
    st.session_state[APPLIED_KEY] = TEXT["applied"].format(changes=_described(fix))


def show_doctor(status: Any) -> None:
    """The findings in plain words, each fix a button that changes the session's recipe."""
    found = findings(status)
    if not found:
        return
    st.subheader(TEXT["title"])
    for index, finding in enumerate(found):
        icon = ICONS.get(finding.severity, ICONS["info"])
        st.markdown(
            f"{icon} **{escape_markdown(finding.title)}** {escape_markdown(finding.message)}"
        )
        if finding.fixes:
            columns = st.columns(len(finding.fixes))
            for number, (column, fix) in enumerate(zip(columns, finding.fixes, strict=True)):
                column.button(
                    fix.label,
                    key=f"doctor_fix_{index}_{finding.code}_{number}",
                    icon=":material/build:",
                    on_click=_apply,
                    args=(fix,),
                )
    applied = st.session_state.get(APPLIED_KEY)
    if applied:
        st.success(escape_markdown(applied), icon=":material/check:")
