"""Every sentence the training doctor shows: keys of the catalog ``core.model.diagnosis``.

The texts are in ``core/i18n/locales/<language>/doctor.po``. Read by
:mod:`core.model.diagnosis_rules`, which keeps each finding as :class:`~core.i18n.Message`
parts (key + figures), so a finding stored in a run's result is shown later in the
language of whoever reads it. Placeholders in braces are filled with the run's figures
(errors with three significant digits, pass numbers from 1).
"""

from __future__ import annotations

from typing import Any

from core.i18n import Message, Texts

MESSAGES = Texts("core.model.diagnosis")


def message(name: str, /, **params: Any) -> Message:
    """The doctor's sentence ``name`` with its figures, kept as a message."""
    MESSAGES[name]  # an unknown name fails here, where it is written, not when shown
    return Message(MESSAGES.key(name), params)
