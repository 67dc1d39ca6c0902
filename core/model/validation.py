"""Pydantic's report on a bad recipe, turned into sentences a person can act on."""

from __future__ import annotations

from pydantic import ValidationError


def explain_validation_error(error: ValidationError) -> str:
    """Turn pydantic's report into sentences that name the setting and the fix."""
    sentences = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "recipe"
        kind = problem["type"]
        context = problem.get("ctx") or {}
        if kind == "extra_forbidden":
            sentences.append(f"'{where}' is not a recipe setting: remove it or check its spelling.")
        elif kind == "literal_error":
            sentences.append(
                f"'{where}' must be one of {context.get('expected', 'the listed choices')}, "
                f"not {problem.get('input')!r}."
            )
        elif kind in ("greater_than_equal", "greater_than"):
            bound = context.get("ge", context.get("gt"))
            sentences.append(f"'{where}' must be at least {bound}, not {problem.get('input')!r}.")
        elif kind in ("less_than_equal", "less_than"):
            bound = context.get("le", context.get("lt"))
            sentences.append(f"'{where}' must be at most {bound}, not {problem.get('input')!r}.")
        elif kind == "too_long":
            sentences.append(
                f"'{where}' has too many entries (at most {context.get('max_length')})."
            )
        elif kind == "value_error":
            message = str(context.get("error", problem["msg"]))
            sentences.append(message[0].upper() + message[1:] + ".")
        else:
            sentences.append(
                f"'{where}' has an unusable value {problem.get('input')!r}: {problem['msg']}."
            )
    return "The recipe has a problem: " + " ".join(sentences)
