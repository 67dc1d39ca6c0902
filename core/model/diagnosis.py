"""The training doctor: read a run's learning curves and say what they show, and what to do.

:func:`diagnose` reads the per-epoch history (training and validation error), the
kept best pass, how the run ended and, once it is known, the network's test score
against the simple logistic/linear baseline. It returns a list of
:class:`Diagnosis`, each with a stable ``code``, a plain message for a product
manager and, where there is one, one-click fixes (:class:`~core.model.remedies.Fix`:
recipe changes). :func:`diagnose_run` does the same from a finished run's result
dict. Pure Python and numpy: pages call it live, on a partial history, while the
job trains.

Stable codes (``CODES``): ``diverged``, ``overfitting``, ``underfitting``,
``oscillating``, ``plateau``, ``no_better_than_baseline``, ``healthy``; plus the
informational note ``validation_below_training`` (severity ``"info"``: an
explanation, never an alarm).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.model import curves
from core.model import diagnosis_rules as rules
from core.model.curves import Curves
from core.model.diagnosis_rules import CODES, Diagnosis
from core.model.recipe import Recipe

# Live, a finding appears only once it has held for 3 passes in a row, and goes only once
# it has been absent for 3 passes in a row, so a blip or a value hovering at a threshold
# never makes the page flicker. Replayed on a noisy SGD run of 60 passes, with 2 the list
# shown changed 11 times; with 3, 9 times, and no note came and went within 2 passes.
# A blow-up is certain at once and is exempt. Replaying the last 12 passes is enough to
# know what was on screen, and stays cheap.
LIVE_CONFIRM_EPOCHS = 3
LIVE_LOOKBACK_EPOCHS = 12


def diagnose(
    history: Sequence[Mapping[str, Any]],
    recipe: Recipe,
    *,
    stopped_because: str | None = None,
    best_epoch: int | None = None,
    batch_size: int | None = None,
    reference_loss: float | None = None,
    comparison: curves.BaselineComparison | None = None,
) -> list[Diagnosis]:
    """What the learning curves of one run show, most serious first.

    Parameters
    ----------
    history
        Per-pass reports as the trainer writes them (``epoch``, ``loss``, ``val_loss``;
        ``seconds`` is used when present). May be partial: the run is still going.
    recipe
        The recipe the run was trained with; fixes are changes to it.
    stopped_because
        How the run ended ("completed", "early_stopped", "stopped_by_user",
        "diverged"), or None while it is still training.
    best_epoch
        The kept pass (1-based); by default the pass with the lowest validation error.
    batch_size
        The batch size the run used (needed to suggest larger batches when the recipe
        left it automatic).
    reference_loss
        The error of always giving the same answer, in the history's units (see
        :func:`core.model.curves.constant_loss`); enables the "high and flat" rule.
    comparison
        The network's test score against the simple baseline (see
        :func:`core.model.curves.compare_with_baseline`), once known.

    Returns
    -------
    list of Diagnosis
        Empty while too few passes have run to say anything; otherwise at least one
        entry (``healthy`` when nothing is wrong).
    """
    run = Curves.from_history(history, stopped_because, best_epoch)
    if run.diverged:
        return [rules.diverged(run, recipe)]
    if run.finished:
        found = rules.findings(run, recipe, batch_size, reference_loss, comparison)
    elif run.n < curves.MIN_EPOCHS_TO_JUDGE + LIVE_CONFIRM_EPOCHS - 1:
        return []
    else:
        found = _steady_findings(history, recipe, batch_size, reference_loss)
    if not any(d.severity in ("problem", "warning") for d in found) and run.n:
        found.insert(0, rules.healthy(run, comparison))
    return found


def _steady_findings(
    history: Sequence[Mapping[str, Any]],
    recipe: Recipe,
    batch_size: int | None,
    reference_loss: float | None,
) -> list[Diagnosis]:
    """Live findings with hysteresis: replay the last passes, switching a finding on or off
    only after ``LIVE_CONFIRM_EPOCHS`` passes in a row agree."""
    shown: dict[str, Diagnosis] = {}
    present: dict[str, int] = {}  # code -> passes in a row it was found
    absent: dict[str, int] = {}  # code -> passes in a row it was not found
    first = max(curves.MIN_EPOCHS_TO_JUDGE, len(history) - LIVE_LOOKBACK_EPOCHS)
    for end in range(first, len(history) + 1):
        run = Curves.from_history(history[:end], None, None)
        found = {d.code: d for d in rules.findings(run, recipe, batch_size, reference_loss, None)}
        for code in set(found) | set(present):
            if code in found:
                present[code], absent[code] = present.get(code, 0) + 1, 0
                if code in shown or present[code] >= LIVE_CONFIRM_EPOCHS:
                    shown[code] = found[code]  # the latest figures
            else:
                present[code], absent[code] = 0, absent.get(code, 0) + 1
                if absent[code] >= LIVE_CONFIRM_EPOCHS:
                    shown.pop(code, None)
    return sorted(shown.values(), key=lambda d: CODES.index(d.code))


def diagnose_run(result: Mapping[str, Any], recipe: Recipe) -> list[Diagnosis]:
    """:func:`diagnose` for a finished run's result dict (as ``result.json`` holds it).

    Reads ``history``, ``best_epoch``, ``stopped_because``, ``batch_size``, ``task``,
    ``metrics``, ``baselines`` and, when present, ``intervals`` (``{"metric": [low,
    high]}`` for the network's test scores).
    """
    task = result.get("task")
    baselines = result.get("baselines") or {}
    return diagnose(
        result.get("history") or [],
        recipe,
        stopped_because=result.get("stopped_because") or "completed",
        best_epoch=result.get("best_epoch"),
        batch_size=result.get("batch_size"),
        reference_loss=curves.reference_loss_from_baselines(task, baselines),
        comparison=curves.compare_with_baseline(
            task,
            result.get("metrics") or {},
            baselines,
            result.get("intervals"),
            result.get("uncertainty"),
        ),
    )


def summaries(diagnoses: Sequence[Diagnosis]) -> list[dict[str, str]]:
    """The ``[{"code": ..., "message": ...}]`` list of the CLI's JSON summary."""
    return [d.summary() for d in diagnoses]
