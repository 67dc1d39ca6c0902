"""Is the default recipe any good? Its test score against simple and strong alternatives.

For each dataset (:mod:`bench.datasets`: 16 public tables, binary, multiclass and regression,
178 to 10,000 rows) and seed, the default recipe (``Recipe(target=..., seed=...)``) is
trained exactly as the app trains it, through :func:`core.pipeline.train_run`. The other
models get the SAME rows: the app's split of that seed, from :func:`core.pipeline.prepare`
with the same recipe (the script checks that the app's model scores the same on these test
rows as ``train_run`` reported, and that the raw rows given to CatBoost and RealMLP are the
same test rows):

HistGradientBoosting (``hgb``), logistic/Ridge regression (``linear``) and "the article's
way" (``article``, the usual tutorial network) on the app's matrix; CatBoost (``catboost``)
and RealMLP-TD (``realmlp``) with their defaults on the raw columns (optional packages,
skipped with a message when missing). See :mod:`bench.competitors` and
:mod:`bench.strong_models` for exactly how each is fitted. All scores are on the test rows:
ROC AUC (yes/no), accuracy (categories), R² (numbers), computed with
:mod:`core.evaluation.metrics` like the app. :mod:`bench.quality_report` turns them into
ratios (the default recipe / each model; median and worst over datasets, counts within 1%
and 3%), tables and a Markdown page. ``--change`` tries a candidate default recipe.

Results are written after every dataset (JSON, and Markdown with ``--markdown``), so a long
run that is stopped still leaves every finished dataset on record.

Usage::

    python bench/quality.py                       # every dataset, 3 seeds, every model
    python bench/quality.py --datasets diamonds --seeds 1 --models hgb,catboost
    python bench/quality.py --quick               # tiny smoke run (row, epoch and tree caps)
    python bench/quality.py --change preprocessing.numeric_scaling=quantile --name q_quantile
    python bench/quality.py --markdown docs/benchmarks/quality_default.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.competitors import COMPETITORS, real_target, score  # noqa: E402
from bench.datasets import DATASETS, load_dataset, missing_package, subsample  # noqa: E402
from bench.quality_report import (  # noqa: E402
    dataset_ratios,
    markdown,
    merge_documents,
    print_report,
    read_back,
    reusable_runs,
)
from bench.reporting import summarise, write_results  # noqa: E402
from bench.strong_models import RunOptions, raw_rows  # noqa: E402
from bench.strong_models import missing_package as missing_model_package  # noqa: E402

QUICK_ROWS = 300
QUICK_EPOCHS = 3
DEFAULT_SEEDS = 3


def available_models(names: list[str]) -> tuple[list[str], dict[str, str]]:
    """The models that can run here, and why each other one is skipped (a plain sentence)."""
    chosen, skipped = [], {}
    for name in names:
        package = COMPETITORS[name].package
        reason = missing_model_package(package) if package else None
        if reason:
            skipped[name] = reason
        else:
            chosen.append(name)
    return chosen, skipped


# --- the models -----------------------------------------------------------------------------


def run_ours(frame, recipe, data) -> dict[str, Any]:
    """The default recipe through ``train_run``, exactly as the app trains it."""
    from core.pipeline import model_outputs, train_run

    started = time.perf_counter()
    run = train_run(frame, recipe)
    total = time.perf_counter() - started
    task = run.task.task
    primary = run.result.primary_metric
    reported = run.result.metrics.get(primary)
    # The app's model on the test rows of our own prepare(): equal scores prove same split.
    y_test = real_target(data, data.y_test)
    rescored = None
    if run.model is not None:
        outputs = model_outputs(run.model, data.x_test, run.task)
        rescored = score(task, run.task.class_labels, y_test, outputs)
    return {
        "score": reported,
        "rescored_on_prepare_split": rescored,
        "epochs": run.outcome.epochs_run,
        "best_epoch": run.outcome.best_epoch,
        "stopped_because": run.outcome.stopped_because,
        "batch_size": run.result.batch_size,
        "fit_seconds": run.outcome.seconds,
        "seconds": total,  # includes the app's baselines and permutation importance
    }


# --- one dataset ----------------------------------------------------------------------------


def evaluate_dataset(
    name: str,
    seeds: list[int],
    workdir: Path,
    quick: bool,
    log: Callable[[str], None],
    changes: dict[str, Any] | None = None,
    models: list[str] | None = None,
    threads: int | None = None,
    max_rows: int | None = None,
    reused: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Every chosen model on every seed of one dataset; scores summarised across seeds.

    ``max_rows`` rows are drawn at random per seed (the same rows for every model).
    ``reused`` holds other models' runs from an earlier run on the same seeds and rows (one
    per seed, in order): those models are not fitted again.
    """
    from core.model.preparation import prepare
    from core.model.recipe import Recipe
    from core.model.tasks import task_spec

    dataset = DATASETS[name]
    models = list(COMPETITORS) if models is None else models
    table = load_dataset(name, workdir)
    per_model: dict[str, list[dict[str, Any]]] = {m: [] for m in ("ours", *models)}
    options = RunOptions(quick=quick, threads=threads)
    task = metric = None
    for seed in seeds:
        frame = subsample(table, QUICK_ROWS if quick else max_rows, seed)
        recipe = Recipe(target=dataset.target, seed=seed).with_changes(**(changes or {}))
        if quick:
            recipe = recipe.with_changes(**{"training.max_epochs": QUICK_EPOCHS})
        data = prepare(frame, recipe)
        task = data.task.task
        labels = data.task.class_labels
        metric = task_spec(task).headline_metric
        y_test = real_target(data, data.y_test)
        ours = run_ours(frame, recipe, data)
        per_model["ours"].append(ours)
        log(
            f"  {name} seed {seed}: ours {metric}={ours['score']:.4f} "
            f"({ours['epochs']} epochs, {ours['fit_seconds']:.1f}s)"
        )
        needs_raw = any(COMPETITORS[m].package for m in models)
        rows = raw_rows(frame, recipe, data) if needs_raw else None
        for model_name in models:
            earlier = (reused or {}).get(model_name, [])
            if len(earlier) >= len(per_model["ours"]):
                outcome, how = dict(earlier[len(per_model["ours"]) - 1]), "reused"
            else:
                outcome = COMPETITORS[model_name].run(data, rows, seed, options)
                outcome["score"] = score(task, labels, y_test, outcome.pop("outputs"))
                how = f"{outcome['seconds']:.1f}s"
            per_model[model_name].append(outcome)
            log(f"  {name} seed {seed}: {model_name} {metric}={outcome['score']:.4f} ({how})")
    # The rows each model saw: the whole table, or the ones drawn per seed.
    return summarise_dataset(dataset, task, metric, len(frame), per_model)


def summarise_dataset(dataset, task, metric, n_rows, per_model) -> dict[str, Any]:
    """Mean ± spread of each model's score and fit time, ratios, and the same-split check."""
    models = {}
    for model_name, runs in per_model.items():
        models[model_name] = {
            "score": summarise([r["score"] for r in runs]),
            # ours: training alone; the others: their fit (and predict) time
            "fit_seconds": summarise([r.get("fit_seconds", r["seconds"]) for r in runs]),
            "seconds": summarise([r["seconds"] for r in runs]),
            "epochs": [r["epochs"] for r in runs],
            "runs": runs,
        }
    checks = [r["rescored_on_prepare_split"] for r in per_model["ours"]]
    same_split = all(
        c is not None and abs(c - r["score"]) < 1e-6
        for c, r in zip(checks, per_model["ours"], strict=True)
    )
    row = {
        "dataset": dataset.name,
        "source": f"{dataset.label}: {dataset.source}",
        "task": task,
        "declared_task": dataset.task,
        "metric": metric,
        "rows": n_rows,
        "models": models,
        "same_split_verified": same_split,
    }
    row["ratios"] = dataset_ratios(row)
    return row


# --- command line ---------------------------------------------------------------------------


def names_from(text: str, known: dict[str, Any], what: str, parser) -> list[str]:
    """A comma-separated list checked against the known names."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error(f"unknown {what} {unknown}; choose from {', '.join(known)}")
    return names


def parse_changes(
    pairs: list[str], parser: argparse.ArgumentParser, option: str = "--change"
) -> dict[str, Any]:
    """``["training.patience=30"]`` -> ``{"training.patience": 30}`` (checked against Recipe).

    Values are JSON, or a plain word (an optimizer name); ``option`` names the flag in errors.
    """
    import json

    from core.errors import RecipeError
    from core.model.recipe import Recipe

    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            parser.error(f"{option} needs SETTING=VALUE, not {pair!r}")
        try:
            changes[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            changes[key.strip()] = text  # a plain word, e.g. an optimizer name
    try:
        Recipe().with_changes(**changes)
    except RecipeError as error:
        parser.error(str(error))
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets",
        default=",".join(DATASETS),
        help=f"comma-separated, from: {', '.join(DATASETS)}",
    )
    parser.add_argument(
        "--models",
        default=",".join(COMPETITORS),
        help=f"competitors, comma-separated, from: {', '.join(COMPETITORS)} (the default "
        "recipe always runs)",
    )
    parser.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help="number of seeds (42, 43, ...)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: at most {QUICK_ROWS} rows, {QUICK_EPOCHS} epochs, few trees",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=None,
        help="draw at most this many rows of each dataset at random per seed (the same rows "
        "for every model); default: every row",
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        nargs="+",
        default=None,
        metavar="RESULTS",
        help="take the other models' runs from these earlier results where they have the same "
        "seeds and --max-rows, and train only the default recipe (after a change of default that "
        "leaves the preparation and the split alone: the other models fit the prepared rows)",
    )
    parser.add_argument(
        "--change",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="try a candidate default, e.g. preprocessing.numeric_scaling=quantile (JSON "
        "values; repeatable); the other models are unaffected",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for every model (default: each library's own, usually every core); "
        "1 is fairest and fastest on a machine busy with other work",
    )
    parser.add_argument("--name", default="quality", help="results file name (without .json)")
    parser.add_argument("--results-dir", type=Path, default=None, help="where to write the JSON")
    parser.add_argument("--markdown", type=Path, default=None, help="also write this .md page")
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="a line for the Markdown page (e.g. how busy the machine was); repeatable",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        default=None,
        metavar="RESULTS",
        help="run nothing: print the tables (and write --markdown) from these results files, "
        "merged (e.g. the halves of a run split over two processes)",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        missing = [str(p) for p in args.from_json if not p.is_file()]
        if missing:
            parser.error(f"no results file {', '.join(missing)} (has that run finished a dataset?)")
        return report_only(args.from_json, args.markdown, args.name, args.note)
    names = names_from(args.datasets, DATASETS, "dataset(s)", parser)
    models, skipped_models = available_models(
        names_from(args.models, COMPETITORS, "model(s)", parser)
    )
    seeds = [42 + i for i in range(max(1, args.seeds))]
    changes = parse_changes(args.change, parser)
    skipped_datasets = {n: r for n in names if (r := missing_package(n))}
    names = [n for n in names if n not in skipped_datasets]
    for reason in (*skipped_models.values(), *skipped_datasets.values()):
        print(f"Skipped: {reason}", flush=True)

    if args.threads:
        limit_threads(args.threads)
    if args.reuse and args.quick:
        parser.error("--reuse takes runs on all the rows: it cannot be combined with --quick")
    reusable = reusable_runs(args.reuse or [], seeds, args.max_rows)
    started = time.perf_counter()
    document: dict[str, Any] = {
        "quick": args.quick,
        "seeds": seeds,
        "models": models,
        "skipped_models": skipped_models,
        "skipped_datasets": skipped_datasets,
        "recipe_changes": changes,
        "datasets": names,
        "threads": args.threads,
        "max_rows": args.max_rows,
        "notes": args.note,
        "results": [],
    }
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            print(f"{name} ...", flush=True)
            document["results"].append(
                evaluate_dataset(
                    name,
                    seeds,
                    Path(workdir),
                    args.quick,
                    lambda text: print(text, flush=True),
                    changes,
                    models,
                    args.threads,
                    args.max_rows,
                    reusable.get(name),
                )
            )
            # After every dataset, so a stopped run keeps what it finished.
            document["seconds"] = time.perf_counter() - started
            path = write_results(args.name, document, args.results_dir)
            if args.markdown:
                page = markdown({"name": args.name, **read_back(path)}, models, len(names))
                args.markdown.parent.mkdir(parents=True, exist_ok=True)
                args.markdown.write_text(page, encoding="utf-8")
    print_report(document["results"], models)
    print(f"\nTotal {document['seconds']:.0f}s. Results written to {path}")
    if args.markdown:
        print(f"Markdown page written to {args.markdown}")
    return 0


def limit_threads(threads: int) -> None:
    """Every library on at most ``threads`` threads (before TensorFlow or torch start).

    On a machine busy with other work, threads that wait for each other at every step
    (OpenMP in HistGradientBoosting, torch, TensorFlow's pools) spend most of their time
    waiting: one thread each is both fairer and much faster there.
    """
    import os

    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[name] = str(threads)
    threadpool_limits(threads)  # OpenMP and BLAS pools already loaded (numpy, scikit-learn)


def report_only(paths: list[Path], markdown_path: Path | None, name: str, notes: list[str]) -> int:
    """Tables (and the Markdown page) from results files already written."""
    document = merge_documents([read_back(p) for p in paths], list(DATASETS))
    document["notes"] = [*document.get("notes", []), *notes]
    models = document["models"]
    print_report(document["results"], models)
    if markdown_path:
        # What the runs set out to measure (runs written before "datasets" was kept: all).
        planned = len(document["datasets"]) or len(DATASETS) - len(document["skipped_datasets"])
        page = markdown({**document, "name": name}, models, planned)
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(page, encoding="utf-8")
        print(f"Markdown page written to {markdown_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
