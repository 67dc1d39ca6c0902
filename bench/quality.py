"""Is the default recipe any good? Its test score against simple and strong alternatives.

For each dataset the default recipe (``Recipe(target=...)``) is trained exactly as the app
trains it, through :func:`core.pipeline.train_run`. The other models get the SAME split and
the SAME preprocessed matrices, from :func:`core.pipeline.prepare` with the same recipe
(the split is seeded from the recipe, and the script checks that the app's model scores the
same on these test rows as ``train_run`` reported):

HistGradientBoosting (``hgb``), logistic/Ridge regression (``linear``) and "the article's
way" (``article``, the usual tutorial network); see :mod:`bench.competitors` for exactly how
each is fitted, and why the other models get training + validation rows. All scores are on
the test rows: ROC AUC (yes/no), accuracy (categories), R² (numbers), computed with
:mod:`core.evaluation.metrics` like the app. ``--change`` tries a candidate default recipe.

Usage::

    python bench/quality.py                       # the three sample datasets + sklearn extras
    python bench/quality.py --datasets diamonds --seeds 3
    python bench/quality.py --quick               # tiny smoke run (row and epoch caps)
    python bench/quality.py --change training.patience=30 --name quality_patience30
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.competitors import (  # noqa: E402
    ARTICLE_EPOCHS,
    real_target,
    run_article,
    run_hgb,
    run_linear,
    score,
)
from bench.reporting import (  # noqa: E402
    REPO_ROOT,
    format_table,
    mean_and_spread,
    summarise,
    write_results,
)

SAMPLE_DATA = REPO_ROOT / "sample_data"
# name -> (where the table comes from, target column, group label shown in the table)
DATASETS: dict[str, tuple[str, str, str]] = {
    "telco_churn": ("telco_churn.csv", "churn", "sample"),
    "penguins": ("penguins.csv", "species", "sample"),
    "diamonds": ("diamonds.csv", "price", "sample"),
    # Real public data that ships inside scikit-learn (load_*, no download), as extra rows.
    "sk_breast_cancer": ("load_breast_cancer", "diagnosis", "extra (sklearn)"),
    "sk_wine": ("load_wine", "cultivar", "extra (sklearn)"),
    "sk_diabetes": ("load_diabetes", "progression", "extra (sklearn)"),
}
OTHER_MODELS = ("article", "hgb", "linear")
QUICK_ROWS = 300
QUICK_EPOCHS = 3
WITHIN = 0.99  # "within 1% of the best other": ours >= 0.99 * best


# --- data -----------------------------------------------------------------------------------


def load_dataset(name: str, workdir: Path):
    """The table as the app reads it (``read_table``), whatever its origin."""
    from core.pipeline import load_table

    source, target, _ = DATASETS[name]
    if source.startswith("load_"):
        # Written to CSV first, so these rows go through the app's own reader too.
        path = workdir / f"{name}.csv"
        sklearn_frame(source, target).to_csv(path, index=False)
    else:
        path = SAMPLE_DATA / source
    return load_table(path)


def sklearn_frame(loader: str, target: str):
    """A bundled scikit-learn dataset as a frame, with class names as text labels."""
    from sklearn import datasets

    bunch = getattr(datasets, loader)(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    names = getattr(bunch, "target_names", None)
    if names is not None and len(names):
        frame[target] = [str(names[int(code)]) for code in frame[target]]
    return frame


def cap_rows(frame, n: int | None, seed: int):
    """At most ``n`` rows, drawn at random (``--quick``)."""
    if n is None or len(frame) <= n:
        return frame
    return frame.sample(n=n, random_state=seed).reset_index(drop=True)


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
) -> dict[str, Any]:
    """Every model on every seed of one dataset; scores summarised across seeds."""
    from core.model.preparation import prepare
    from core.model.recipe import Recipe
    from core.model.tasks import task_spec

    _, target, group = DATASETS[name]
    table = load_dataset(name, workdir)
    per_model: dict[str, list[dict[str, Any]]] = {m: [] for m in ("ours", *OTHER_MODELS)}
    task = metric = None
    for seed in seeds:
        frame = cap_rows(table, QUICK_ROWS if quick else None, seed)
        recipe = Recipe(target=target, seed=seed).with_changes(**(changes or {}))
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
        runners = {
            "article": lambda d, s: run_article(d, s, QUICK_EPOCHS if quick else ARTICLE_EPOCHS),
            "hgb": run_hgb,
            "linear": run_linear,
        }
        for model_name, runner in runners.items():
            outcome = runner(data, seed)
            outcome["score"] = score(task, labels, y_test, outcome.pop("outputs"))
            per_model[model_name].append(outcome)
            log(
                f"  {name} seed {seed}: {model_name} {metric}={outcome['score']:.4f} "
                f"({outcome['seconds']:.1f}s)"
            )
    return summarise_dataset(name, group, task, metric, len(table), per_model)


def summarise_dataset(name, group, task, metric, n_rows, per_model) -> dict[str, Any]:
    models = {}
    for model_name, runs in per_model.items():
        models[model_name] = {
            "score": summarise([r["score"] for r in runs]),
            "seconds": summarise([r["seconds"] for r in runs]),
            "epochs": [r["epochs"] for r in runs],
            "runs": runs,
        }
    ours = models["ours"]["score"]["mean"]
    article = models["article"]["score"]["mean"]
    best_name = max(OTHER_MODELS, key=lambda m: models[m]["score"]["mean"])
    best = models[best_name]["score"]["mean"]
    checks = [r["rescored_on_prepare_split"] for r in per_model["ours"]]
    same_split = all(
        c is not None and abs(c - r["score"]) < 1e-6
        for c, r in zip(checks, per_model["ours"], strict=True)
    )
    return {
        "dataset": name,
        "group": group,
        "task": task,
        "metric": metric,
        "rows": n_rows,
        "models": models,
        "best_other": best_name,
        "beats_article": ours > article,
        "ties_article": abs(ours - article) < 1e-9,
        "within_1pct_of_best": ours >= WITHIN * best,
        "ratio_to_best": ours / best if best else None,
        "same_split_verified": same_split,
    }


# --- report ---------------------------------------------------------------------------------


def print_tables(results: list[dict[str, Any]]) -> None:
    headers = [
        "dataset",
        "group",
        "metric",
        "default recipe",
        "article",
        "HGB",
        "logistic/linear",
        "best other",
        "beats article?",
        "within 1% of best?",
    ]
    rows = []
    for r in results:
        m = r["models"]
        rows.append(
            [
                r["dataset"],
                r["group"],
                r["metric"],
                *(mean_and_spread(m[k]["score"]) for k in ("ours", "article", "hgb", "linear")),
                f"{r['best_other']} {m[r['best_other']]['score']['mean']:.4f}",
                "tie" if r["ties_article"] else r["beats_article"],
                r["within_1pct_of_best"],
            ]
        )
    print("\nTest scores (higher is better; mean ± spread over seeds)")
    print(format_table(headers, rows))

    headers = ["dataset", "model", "epochs / iterations", "seconds", "note"]
    rows = []
    names = {
        "ours": "default recipe",
        "article": "article",
        "hgb": "HGB",
        "linear": "logistic/linear",
    }
    for r in results:
        for key, label in names.items():
            model = r["models"][key]
            epochs = "/".join("-" if e is None else str(e) for e in model["epochs"])
            note = ""
            if key == "ours":
                runs = model["runs"]
                fit = summarise([x["fit_seconds"] for x in runs])["mean"]
                best = "/".join(str(x["best_epoch"]) for x in runs)
                endings = Counter(x["stopped_because"] for x in runs)
                ended = ", ".join(f"{why} x{n}" if n > 1 else why for why, n in endings.items())
                note = (
                    f"best epoch {best}, fit {fit:.1f}s, batch {runs[0]['batch_size']}, "
                    f"{ended}; seconds include the app's baselines + importance"
                )
            rows.append([r["dataset"], label, epochs, f"{model['seconds']['mean']:.1f}", note])
    print("\nEpochs run (iterations for HGB / logistic) and seconds per model (mean over seeds)")
    print(format_table(headers, rows))
    unverified = [r["dataset"] for r in results if not r["same_split_verified"]]
    if unverified:
        print(f"\nWARNING: same split NOT verified for {', '.join(unverified)}")


def parse_changes(pairs: list[str], parser: argparse.ArgumentParser) -> dict[str, Any]:
    """``["training.patience=30"]`` -> ``{"training.patience": 30}`` (checked against Recipe)."""
    import json

    from core.errors import RecipeError
    from core.model.recipe import Recipe

    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            parser.error(f"--change needs SETTING=VALUE, not {pair!r}")
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
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds (42, 43, ...)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: at most {QUICK_ROWS} rows and {QUICK_EPOCHS} epochs",
    )
    parser.add_argument(
        "--change",
        action="append",
        default=[],
        metavar="SETTING=VALUE",
        help="try a candidate default, e.g. training.patience=30 (JSON values; "
        "repeatable); the other models are unaffected",
    )
    parser.add_argument("--name", default="quality", help="results file name (without .json)")
    parser.add_argument("--results-dir", type=Path, default=None, help="where to write the JSON")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from {list(DATASETS)}")
    seeds = [42 + i for i in range(max(1, args.seeds))]
    changes = parse_changes(args.change, parser)

    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            print(f"{name} ...", flush=True)
            results.append(
                evaluate_dataset(
                    name,
                    seeds,
                    Path(workdir),
                    args.quick,
                    lambda text: print(text, flush=True),
                    changes,
                )
            )
    print_tables(results)
    seconds = time.perf_counter() - started
    path = write_results(
        args.name,
        {
            "quick": args.quick,
            "seeds": seeds,
            "recipe_changes": changes,
            "seconds": seconds,
            "results": results,
        },
        args.results_dir,
    )
    print(f"\nTotal {seconds:.0f}s. Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
