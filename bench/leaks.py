"""Leak check: catches and false alarms on public data, with and without a planted leak.

Every dataset is profiled exactly as the Data page profiles it (``profile_table``), and
the columns flagged with a ``leakage`` warning are counted:

* on the clean tables (the shared datasets and scikit-learn's bundled ones), every
  flagged column is a false alarm;
* on copies with one realistic leaked column added, the leaked column flagged is a
  catch, any other flagged column a false alarm.

The leaks: ``copy`` (the outcome with 10% of rows wrong; for numbers, the value plus
noise of a third of its spread), ``after`` (recorded after the outcome: an amount that is
zero for every row but most of one outcome, like a refund after churning, or with
several outcomes an amount whose size depends on the outcome; a grade A-G for numbers
that fixes the value up to a step), and ``weak`` (a copy with 30% wrong or noise
as large as the spread: a harder case). The same table also shows today's old rule
(one column alone scores 0.99) for comparison.

``skill`` is what all columns together reach in the leak check (0 = guessing, 1 =
perfect; 2·AUC − 1 or R²) and ``lift`` how much the leaked column adds to it. A leak
whose information the clean columns already hold (lift near 0) barely changes the
score; the summary also counts the catches among the leaks that lift it.

Run: ``python bench/leaks.py`` (about two minutes on two busy cores; ``--quick`` for a
smoke run on three small tables).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.reporting import format_table, write_results  # noqa: E402

SHARED = Path("/work/shared/datasets")
# name -> (source, target): a shared CSV or a scikit-learn loader.
DATASETS = {
    "telco_churn": ("telco_churn.csv", "churn"),
    "penguins": ("penguins.csv", "species"),
    "diamonds": ("diamonds.csv", "price"),
    "diamonds_cut": ("diamonds.csv", "cut"),
    "sk_breast_cancer": ("load_breast_cancer", "diagnosis"),
    "sk_iris": ("load_iris", "species"),
    "sk_wine": ("load_wine", "cultivar"),
    "sk_diabetes": ("load_diabetes", "progression"),
}
QUICK = ("penguins", "sk_iris", "sk_diabetes")
LEAKS = ("copy", "after", "weak")
LEAK_COLUMN = "recorded_later"
INFLATING = 0.05  # a leak that lifts the all-columns skill by this much inflates the score


def load(name: str, workdir: Path) -> pd.DataFrame:
    """The table as the app reads it (through ``read_table``), whatever its origin."""
    from core.portable.reading import read_table

    source, target = DATASETS[name]
    if source.startswith("load_"):
        from sklearn import datasets

        bunch = getattr(datasets, source)(as_frame=True)
        frame = bunch.frame.rename(columns={"target": target})
        names = getattr(bunch, "target_names", None)
        if names is not None and len(names):
            frame[target] = [str(names[int(code)]) for code in frame[target]]
        path = workdir / f"{name}.csv"
        frame.to_csv(path, index=False)
    else:
        path = SHARED / source
    return read_table(path, name=path.name)


def plant(frame: pd.DataFrame, target: str, kind: str, regression: bool, seed: int) -> pd.Series:
    """A realistic leaked column for ``frame`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    y = frame[target]
    n = len(frame)
    if regression:
        values = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
        spread = np.nanstd(values)
        if kind == "after":  # a grade A..G fixed by the value, one step off for 10% of rows
            grade = pd.qcut(values, 7, labels=False, duplicates="drop").astype(float)
            off = rng.random(n) < 0.1
            grade[off] = np.clip(grade[off] + rng.choice([-1, 1], off.sum()), 0, 6)
            return pd.Series(np.array(list("ABCDEFG"))[grade.astype(int)], index=frame.index)
        noise = spread * (1 / 3 if kind == "copy" else 1.0)
        return pd.Series(values + rng.normal(0, noise, n), index=frame.index).round(2)
    labels = y.astype(str).to_numpy()
    classes = np.unique(labels)
    if kind == "after":
        # An amount recorded after the outcome (a refund after churning): zero for every row
        # but most of the last outcome; with several outcomes, each has its own typical size.
        amount = rng.lognormal(4, 0.3, n) * (1 + np.searchsorted(classes, labels))
        recorded = rng.random(n) < 0.8
        if len(classes) == 2:
            recorded &= labels == classes[-1]
        return pd.Series(np.where(recorded, np.round(amount, 2), 0.0), index=frame.index)
    wrong = rng.random(n) < (0.1 if kind == "copy" else 0.3)
    copied = labels.copy()
    copied[wrong] = rng.choice(classes, wrong.sum())
    return pd.Series([f"code {c}" for c in copied], index=frame.index)


def full_skill(frame: pd.DataFrame, profile: Any) -> float:
    """Skill of the leak check's model on all columns (0 = guessing, 1 = perfect)."""
    from core.data.leaks import find_leaks

    target = profile.task.target
    candidates = [
        c
        for c in profile.columns
        if c.name != target and c.kind in ("numeric", "categorical", "boolean")
    ]
    return find_leaks(frame, profile.task, candidates, frame[target].notna()).full


def flagged_columns(frame: pd.DataFrame, target: str) -> tuple[list[str], float, Any]:
    """Columns with a leakage warning when the table is profiled, and the seconds it took."""
    from core.data.profiling import profile_table

    started = time.perf_counter()
    profile = profile_table(frame, target)
    seconds = time.perf_counter() - started
    found = [w.column for w in profile.warnings if w.code == "leakage"]
    return found, seconds, profile


def old_rule(frame: pd.DataFrame, profile: Any) -> list[str]:
    """Today's rule before this change: one column alone scores at least 0.99."""
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    from core.data.leaks import _by_group, _groups, _outcomes

    task = profile.task
    usable = frame[task.target].notna().to_numpy()
    rows = np.flatnonzero(usable)
    if len(rows) > 5000:
        rows = np.sort(np.random.default_rng(0).choice(rows, 5000, replace=False))
    y, k = _outcomes(frame[task.target].iloc[rows], task)
    keep = y >= 0 if k else np.isfinite(y)
    rows, y = rows[keep], y[keep]
    folds = KFold(3, shuffle=True, random_state=0)
    if k:
        score, tree = balanced_accuracy_score, DecisionTreeClassifier(max_depth=6, random_state=0)
    else:
        score, tree = r2_score, DecisionTreeRegressor(max_depth=8, random_state=0)
    found = []
    for column in profile.columns:
        if column.name == task.target or column.kind not in ("numeric", "categorical", "boolean"):
            continue
        values = frame[column.name].iloc[rows]
        if column.kind == "numeric":
            x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float).reshape(-1, 1)
            x = np.where(np.isfinite(x), x, np.nanmin(x) - 1 if np.isfinite(x).any() else 0)
            predicted = cross_val_predict(tree, x, y, cv=folds)
        else:
            split = list(folds.split(rows))
            by_group = _by_group(_groups(values, column.kind), y, k, split)
            predicted = by_group.argmax(axis=1) if k else by_group
        if score(y, predicted) >= 0.99:
            found.append(column.name)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="three small tables only")
    parser.add_argument("--results-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = QUICK if args.quick else tuple(DATASETS)
    rows, results = [], []
    totals = {"new": [0, 0, 0, 0], "old": [0, 0, 0, 0]}  # catches, leaks, false alarms, clean
    inflating = {"new": [0, 0], "old": [0, 0]}  # catches and count of score-inflating leaks
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            base = load(name, Path(workdir))
            target = DATASETS[name][1]
            clean_skill = None
            for leak in (None, *LEAKS):
                frame = base.copy()
                if leak is not None:
                    regression = pd.to_numeric(frame[target], errors="coerce").nunique() > 20
                    frame[LEAK_COLUMN] = plant(frame, target, leak, regression, args.seed)
                found, seconds, profile = flagged_columns(frame, target)
                old = old_rule(frame, profile)
                skill = full_skill(frame, profile)
                clean_skill = skill if leak is None else clean_skill
                # A leak that lifts the score is the dangerous kind; one whose information the
                # clean columns already hold barely changes what the model can reach.
                lift = skill - clean_skill
                n_clean = sum(
                    c.kind in ("numeric", "categorical", "boolean")
                    and c.name not in (target, LEAK_COLUMN)
                    for c in profile.columns
                )
                row = {"dataset": name, "leak": leak or "none", "rows": len(frame)}
                row.update(skill=round(skill, 3), lift=round(lift, 3))
                for rule, flagged in (("new", found), ("old", old)):
                    caught = leak is not None and LEAK_COLUMN in flagged
                    alarms = [c for c in flagged if c != LEAK_COLUMN]
                    row[rule] = {"caught": caught, "false_alarms": alarms}
                    totals[rule][0] += caught
                    totals[rule][1] += leak is not None
                    totals[rule][2] += len(alarms)
                    totals[rule][3] += n_clean
                    if leak is not None and lift >= INFLATING:
                        inflating[rule][0] += caught
                        inflating[rule][1] += 1
                row.update(clean_columns=n_clean, profile_seconds=round(seconds, 2))
                results.append(row)
                rows.append(
                    [
                        name,
                        row["leak"],
                        len(frame),
                        round(skill, 3),
                        "-" if leak is None else round(lift, 3),
                        "-" if leak is None else ("yes" if row["new"]["caught"] else "no"),
                        ", ".join(row["new"]["false_alarms"]) or "-",
                        "-" if leak is None else ("yes" if row["old"]["caught"] else "no"),
                        ", ".join(row["old"]["false_alarms"]) or "-",
                        round(seconds, 2),
                    ]
                )
                print(f"{name:<18} {row['leak']:<6} done", file=sys.stderr, flush=True)
    headers = ["dataset", "leak", "rows", "skill", "lift", "caught", "false alarms"]
    print(format_table([*headers, "old: caught", "old: alarms", "profile s"], rows))
    summary = {}
    for rule, (caught, leaks, alarms, clean) in totals.items():
        summary[rule] = {
            "catches": caught,
            "leaks": leaks,
            "false_alarms": alarms,
            "clean_columns": clean,
            "inflating_catches": inflating[rule][0],
            "inflating_leaks": inflating[rule][1],
        }
        print(
            f"{rule} rule: caught {caught} of {leaks} planted leaks ({inflating[rule][0]} of the "
            f"{inflating[rule][1]} that lift the score by {INFLATING} or more); "
            f"{alarms} false alarms among {clean} clean columns checked"
        )
    path = write_results(
        "leaks",
        {"quick": args.quick, "seed": args.seed, "summary": summary, "results": results},
        args.results_dir,
    )
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
