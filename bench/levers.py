"""Do the quality levers pay? The default recipe against variants of it, on the same splits.

For each dataset and seed, the default recipe and every variant (``--variant``: a name and
recipe changes) are trained exactly as :func:`core.pipeline.train_run` trains (same
preparation, network, optimizer, callbacks and seed) but without the tail (baselines,
importance), which does not change the score and would only spend the shared CPU. Each
variant's test score is compared with the default's on the same split, and with
HistGradientBoosting (:func:`bench.competitors.run_hgb`, fitted once per seed on the
default's prepared matrix) as the strong reference. Rows are capped (``--max-rows``, drawn
at random per seed) so a sweep fits a shared machine; the cap is written in the results.

Usage::

    python bench/levers.py --seeds 3 --max-rows 8000 \\
        --variant quantile:preprocessing.numeric_scaling=quantile \\
        --variant robust_clip:preprocessing.numeric_scaling=robust_clip > sweep.log
    python bench/levers.py --summarise-logs sweep.log other.log   # tables from the output
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.competitors import real_target, run_hgb, run_linear, score  # noqa: E402
from bench.datasets import DATASETS, load_dataset, subsample  # noqa: E402
from bench.quality import parse_changes  # noqa: E402
from bench.reporting import format_table, write_results  # noqa: E402

DEFAULT = "default"
# Fitted once per seed on the default's prepared matrix, as references for every recipe.
REFERENCES = {"hgb": run_hgb, "linear": run_linear}
REFERENCE_HEADERS = ["HGB", "logistic/linear"]
OVERALL_HEADERS = [
    "recipe",
    "median ratio to default",
    "worst ratio to default",
    "median ratio to best of HGB and linear",
    "worst ratio to best of HGB and linear",
    "runs better than default",
    "median fit-time ratio",
]


def fit_recipe(frame, recipe) -> dict[str, Any]:
    """``train_run`` up to the trained model, then the test score (no baselines, no importance)."""
    import keras

    from core.model.embeddings import number_embedding
    from core.model.network import build_model, compile_model, export_model
    from core.model.preparation import prepare
    from core.model.training import fit
    from core.pipeline import model_outputs

    keras.utils.set_random_seed(recipe.seed)
    data = prepare(frame, recipe)
    task = data.task
    network = build_model(
        data.preprocessor.n_features,
        recipe.model,
        task.task,
        len(task.class_labels),
        recipe.seed,
        number_embedding(data.preprocessor, data.x_train, recipe.model.number_embedding),
    )
    compile_model(network, recipe.training, task.task)
    outcome = fit(
        network,
        (data.x_train, data.y_train, data.x_val, data.y_val),
        recipe.training,
        task.task,
        batch_size=recipe.training.effective_batch_size(len(data.x_train)),
        metric_scale=data.target_encoder.std,
    )
    model = export_model(network, task.task, data.target_encoder)
    outputs = model_outputs(model, data.x_test, task)
    y_test = real_target(data, data.y_test)
    return {
        "score": score(task.task, task.class_labels, y_test, outputs),
        "epochs": outcome.epochs_run,
        "best_epoch": outcome.best_epoch,
        "fit_seconds": outcome.seconds,
        "data": data,
    }


def parse_variant(text: str, parser: argparse.ArgumentParser) -> tuple[str, dict[str, Any]]:
    """``"name:a.b=1,c.d=x"`` -> ``("name", {"a.b": 1, "c.d": "x"})``, checked against Recipe."""
    name, sep, body = text.partition(":")
    if not sep or not name:
        parser.error(f"--variant needs NAME:SETTING=VALUE[,SETTING=VALUE], not {text!r}")
    return name, parse_changes(body.split(","), parser, f"--variant {name}")


def summary_rows(results: list[dict[str, Any]], variants: list[str]) -> list[list[Any]]:
    """One row per dataset: each model's mean score, each variant's ratio to the default."""
    rows = []
    for r in results:
        base = statistics.fmean(r["scores"][DEFAULT])
        row = [r["dataset"], r["metric"]]
        for reference in REFERENCES:
            found = r["scores"].get(reference)
            row.append(f"{statistics.fmean(found):.4f}" if found else "-")
        for name in [DEFAULT, *variants]:
            mean = statistics.fmean(r["scores"][name])
            ratio = "" if name == DEFAULT else f" ({mean / base:.4f})"
            row.append(f"{mean:.4f}{ratio}")
        rows.append(row)
    return rows


def best_reference(scores: dict[str, list[float]]) -> float | None:
    """The best mean test score among the references fitted on these splits (higher is better)."""
    means = [statistics.fmean(scores[r]) for r in REFERENCES if scores.get(r)]
    return max(means) if means else None


def overall(results: list[dict[str, Any]], variants: list[str]) -> list[list[Any]]:
    """Per model: median and worst ratio to the default, to the best reference, wins, time."""
    rows = []
    for name in [DEFAULT, *variants]:
        to_default, to_best, time_ratio, wins = [], [], [], 0
        for r in results:
            mean = statistics.fmean(r["scores"][name])
            base = statistics.fmean(r["scores"][DEFAULT])
            to_default.append(mean / base)
            best = best_reference(r["scores"])
            if best:
                to_best.append(mean / best)
            time_ratio.append(sum(r["seconds"][name]) / sum(r["seconds"][DEFAULT]))
            wins += sum(v > b for v, b in zip(r["scores"][name], r["scores"][DEFAULT], strict=True))
        runs = sum(len(r["scores"][name]) for r in results)
        rows.append(
            [
                name,
                f"{statistics.median(to_default):.4f}",
                f"{min(to_default):.4f}",
                f"{statistics.median(to_best):.4f}" if to_best else "-",
                f"{min(to_best):.4f}" if to_best else "-",
                "-" if name == DEFAULT else f"{wins}/{runs}",
                f"{statistics.median(time_ratio):.2f}",
            ]
        )
    return rows


LOG_LINE = re.compile(
    r"^(?P<dataset>\S+) seed (?P<seed>\d+) (?P<model>\S+): \w+=(?P<score>-?[\d.]+)"
    r"(?: \((?P<epochs>\d+) epochs, (?P<seconds>[\d.]+)s\))?$"
)


def results_from_logs(paths: list[Path]) -> tuple[list[dict[str, Any]], list[str]]:
    """Results rebuilt from the printed lines of one or more sweeps (also ones cut short).

    Only seeds where both the default and the variant finished count, so each ratio
    compares the same splits.
    """
    runs: dict[tuple[str, int], dict[str, tuple[float, float]]] = {}
    metrics: dict[str, str] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            found = LOG_LINE.match(line.strip())
            if found:
                key = (found["dataset"], int(found["seed"]))
                seconds = float(found["seconds"]) if found["seconds"] else 0.0
                runs.setdefault(key, {})[found["model"]] = (float(found["score"]), seconds)
                metrics[found["dataset"]] = line.split(": ", 1)[1].split("=", 1)[0]
    variants = sorted({m for done in runs.values() for m in done} - {DEFAULT, *REFERENCES})
    results = []
    for dataset in dict.fromkeys(d for d, _ in runs):
        for variant in variants:
            seeds = [
                seed
                for (d, seed), done in sorted(runs.items())
                if d == dataset and {DEFAULT, variant} <= set(done)
            ]
            if not seeds:
                continue
            # References come from whichever sweep fitted them on these splits (same seed, cap).
            found = [r for r in REFERENCES if all(r in runs[(dataset, s)] for s in seeds)]
            models = [DEFAULT, variant, *found]
            results.append(
                {
                    "dataset": f"{dataset} ({len(seeds)} seeds)",
                    "variant": variant,
                    "metric": metrics[dataset],
                    "scores": {m: [runs[(dataset, s)][m][0] for s in seeds] for m in models},
                    "seconds": {m: [runs[(dataset, s)][m][1] for s in seeds] for m in models},
                }
            )
    return results, variants


def print_log_summary(paths: list[Path]) -> None:
    """Per variant: each dataset's means and ratios, then medians and worst ratios."""
    results, variants = results_from_logs(paths)
    for variant in variants:
        mine = [r for r in results if r["variant"] == variant]
        headers = ["dataset", "metric", *REFERENCE_HEADERS, DEFAULT, f"{variant} (ratio)"]
        print(f"\n{variant}: test scores, mean over seeds (ratio to the default)")
        print(format_table(headers, summary_rows(mine, [variant])))
        print(format_table(OVERALL_HEADERS, overall(mine, [variant])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (42, 43, ...)")
    parser.add_argument("--max-rows", type=int, default=8000, help="row cap per dataset")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:CHANGES")
    parser.add_argument("--name", default="levers", help="results file name (without .json)")
    parser.add_argument(
        "--summarise-logs",
        nargs="+",
        type=Path,
        metavar="LOG",
        help="only summarise the printed output of earlier sweeps (also ones cut short)",
    )
    args = parser.parse_args(argv)
    if args.summarise_logs:
        print_log_summary(args.summarise_logs)
        return 0
    variants = dict(parse_variant(v, parser) for v in args.variant)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    seeds = [42 + i for i in range(max(1, args.seeds))]

    from core.model.recipe import Recipe
    from core.model.tasks import task_spec

    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for dataset in names:
            target = DATASETS[dataset].target
            table = load_dataset(dataset, Path(workdir))
            models = [DEFAULT, *REFERENCES, *variants]
            scores: dict[str, list[float]] = {m: [] for m in models}
            seconds: dict[str, list[float]] = {m: [] for m in models}
            epochs: dict[str, list[int]] = {m: [] for m in [DEFAULT, *variants]}
            metric = None
            for seed in seeds:
                frame = subsample(table, args.max_rows, seed)
                base = Recipe(target=target, seed=seed)
                for name, changes in [(DEFAULT, {}), *variants.items()]:
                    outcome = fit_recipe(frame, base.with_changes(**changes))
                    scores[name].append(outcome["score"])
                    seconds[name].append(outcome["fit_seconds"])
                    epochs[name].append(outcome["epochs"])
                    data = outcome["data"]
                    metric = task_spec(data.task.task).headline_metric
                    print(
                        f"{dataset} seed {seed} {name}: {metric}={outcome['score']:.4f} "
                        f"({outcome['epochs']} epochs, {outcome['fit_seconds']:.1f}s)",
                        flush=True,
                    )
                    if name == DEFAULT:
                        y_test = real_target(data, data.y_test)
                        for reference, run in REFERENCES.items():
                            fitted = run(data, seed)
                            task, labels = data.task.task, data.task.class_labels
                            scores[reference].append(score(task, labels, y_test, fitted["outputs"]))
                            seconds[reference].append(fitted["seconds"])
                            print(
                                f"{dataset} seed {seed} {reference}: "
                                f"{metric}={scores[reference][-1]:.4f}"
                            )
            results.append(
                {
                    "dataset": dataset,
                    "rows": len(table),
                    "rows_used": min(len(table), args.max_rows),
                    "metric": metric,
                    "scores": scores,
                    "seconds": seconds,
                    "epochs": epochs,
                }
            )
            # Written after every dataset, so a sweep cut short keeps what it measured.
            payload = {"seeds": seeds, "max_rows": args.max_rows, "variants": variants}
            write_results(args.name, {**payload, "results": results})
    ratios = [f"{v} (ratio)" for v in variants]
    headers = ["dataset", "metric", *REFERENCE_HEADERS, DEFAULT, *ratios]
    print("\nTest scores, mean over seeds (ratio to the default)")
    print(format_table(headers, summary_rows(results, list(variants))))
    print("\nAcross datasets")
    print(format_table(OVERALL_HEADERS, overall(results, list(variants))))
    total = time.perf_counter() - started
    path = write_results(
        args.name,
        {
            "seeds": seeds,
            "max_rows": args.max_rows,
            "variants": variants,
            "seconds": total,
            "results": results,
        },
    )
    print(f"\nTotal {total:.0f}s. Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
