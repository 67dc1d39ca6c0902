"""One way to write a number for a person: scores, amounts and errors alike.

Every number shown to a person is written by :func:`format_number` (a test measure
through :func:`core.evaluation.measures.format_metric`, which picks its kind), so
"291.8" never stands next to "3,016" written another way, and a value that rounds to
zero is written "0.000", never "-0.000".
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from babel.numbers import get_decimal_symbol, get_group_symbol

from core.i18n import BABEL_LOCALES, DEFAULT_LANGUAGE, current_language

NOT_AVAILABLE = "—"


def format_number(value: Any, kind: str = "score") -> str:
    """A value as a person reads it.

    ``kind`` is "score" (a measure or an error): thousands and more without decimals
    ("12,346"), hundreds with one ("123.5"), tiny non-zero values with three significant
    digits ("0.000123"), everything else with three decimals ("0.873"); "percent" (a share
    written as a percentage: "12.3%"); or "amount" (money or counts a person typed: "250",
    "1,234", "12.50"). A missing or undefined value is "—". The decimal and thousands
    marks are the current language's (Babel's CLDR data; English and Chinese both write
    "12,345.6").
    """
    return _in_locale(_format(value, kind))


def _format(value: Any, kind: str) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return NOT_AVAILABLE
    if not math.isfinite(value):
        return NOT_AVAILABLE
    if kind == "percent":
        return _no_negative_zero(f"{100 * value:.1f}") + "%"
    size = abs(value)
    if kind == "amount":
        whole = size >= 1000 or float(value).is_integer()
        return _no_negative_zero(f"{value:,.0f}" if whole else f"{value:,.2f}")
    if size >= 1000:
        text = f"{value:,.0f}"
    elif size >= 100:
        text = f"{value:,.1f}"
    elif 0 < size < 0.01:
        text = f"{value:.3g}"
    else:
        text = f"{value:.3f}"
    return _no_negative_zero(text)


@cache
def _marks(language_code: str) -> dict[int, str] | None:
    """The translation from Python's "," and "." to the language's marks (None: the same)."""
    locale = BABEL_LOCALES.get(language_code, BABEL_LOCALES[DEFAULT_LANGUAGE])
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    return None if (group, decimal) == (",", ".") else str.maketrans({",": group, ".": decimal})


def _in_locale(text: str) -> str:
    marks = _marks(current_language())
    return text.translate(marks) if marks else text


def _no_negative_zero(text: str) -> str:
    # "-0.000" reads as a (tiny) loss where there is none: a value that rounds to zero is zero.
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        return text[1:]
    return text
