"""The training doctor on the Train page: what the curves show, with one-click fixes.

While a run trains, the findings come live from its history
(:func:`core.model.diagnosis.diagnose`); once it ended, from the run's own result
(``result.diagnosis``, written by :func:`core.model.diagnosis.diagnose_run`). Each fix
is a keyed button that changes the session's recipe, and says what it changed (drawn by
:func:`ui.doctor.show_diagnoses`, shared with the Evaluate page).
"""

from __future__ import annotations

from typing import Any

from core.i18n import Texts
from core.model.diagnosis import diagnose, diagnose_run
from core.model.diagnosis_rules import Diagnosis
from ui.doctor import show_diagnoses
from ui.state import current_recipe

TEXT = Texts("ui.train_doctor")
DOCTOR_KEYS = "doctor"  # fix buttons are keyed doctor_fix_<i>_<code>_<n> (see ui.doctor)


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


def show_doctor(status: Any) -> None:
    """The findings in plain words, each fix a button that changes the session's recipe."""
    show_diagnoses(findings(status), DOCTOR_KEYS, title=TEXT["title"], as_lines=True)
