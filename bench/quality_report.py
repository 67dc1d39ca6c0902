"""How the quality benchmark reads: ratios to each competitor, tables, and its Markdown page.

The ratio of the default recipe to a model on one dataset is ``ours / theirs`` of the mean
test score over seeds (higher is better for every metric used: ROC AUC, accuracy, R²); 1.0 is
a tie, 0.97 is "3% below". A ratio needs a positive reference score (an R² at or below 0
makes the ratio meaningless, so that dataset is left out of that model's summary and said
so). "best simple" is the best of HGB, logistic/linear and the article's network on that
dataset.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from bench.competitors import COMPETITORS, SIMPLE_MODELS
from bench.reporting import format_table, mean_and_spread

BEST_SIMPLE = "best simple"
MARGINS = (0.01, 0.03)  # "within 1%" and "within 3%"


def dataset_ratios(row: dict[str, Any]) -> dict[str, float | None]:
    """Ours / each model's mean score, and ours / the best simple model's, for one dataset."""
    models = row["models"]
    ours = models["ours"]["score"]["mean"]
    ratios: dict[str, float | None] = {}
    for name in models:
        if name != "ours":
            theirs = models[name]["score"]["mean"]
            ratios[name] = ours / theirs if theirs > 0 else None
    simple = [m for m in SIMPLE_MODELS if m in models]
    if simple:
        best = max(models[m]["score"]["mean"] for m in simple)
        ratios[BEST_SIMPLE] = ours / best if best > 0 else None
    return ratios


def summary(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per reference model: datasets, median and worst ratio (and where), count within 1%/3%."""
    by_reference: dict[str, list[tuple[str, float | None]]] = {}
    for row in results:
        for name, ratio in row["ratios"].items():
            by_reference.setdefault(name, []).append((row["dataset"], ratio))
    out = {}
    for name, pairs in by_reference.items():
        usable = [(d, r) for d, r in pairs if r is not None]
        if not usable:
            continue
        worst_dataset, worst = min(usable, key=lambda pair: pair[1])
        ratios = [r for _, r in usable]
        out[name] = {
            "datasets": len(usable),
            "left_out": [d for d, r in pairs if r is None],
            "median": statistics.median(ratios),
            "worst": worst,
            "worst_dataset": worst_dataset,
            "ours_better": sum(r > 1 for r in ratios),
            **{f"within_{round(m * 100)}pct": sum(r >= 1 - m for r in ratios) for m in MARGINS},
        }
    return out


def label(name: str) -> str:
    """The name a table shows for a model (or for "best simple")."""
    if name == "ours":
        return "default recipe"
    return COMPETITORS[name].label if name in COMPETITORS else name


def summary_rows(overall: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    headers = [
        "default recipe vs",
        "datasets",
        "median ratio",
        "worst ratio",
        "worst on",
        "ours better",
        "within 1%",
        "within 3%",
    ]
    rows = []
    for name, s in overall.items():
        rows.append(
            [
                label(name),
                s["datasets"],
                f"{s['median']:.4f}",
                f"{s['worst']:.4f}",
                s["worst_dataset"],
                f"{s['ours_better']}/{s['datasets']}",
                f"{s['within_1pct']}/{s['datasets']}",
                f"{s['within_3pct']}/{s['datasets']}",
            ]
        )
    return headers, rows


def score_rows(results: list[dict[str, Any]], models: list[str]) -> tuple[list[str], list]:
    models = ["ours", *models]
    headers = ["dataset", "source", "task", "rows", "seeds", "metric"]
    headers += [*(label(m) for m in models), f"ratio to {BEST_SIMPLE}"]
    rows = []
    for r in results:
        cells = [
            mean_and_spread(r["models"][m]["score"]) if m in r["models"] else "-" for m in models
        ]
        ratio = r["ratios"].get(BEST_SIMPLE)
        rows.append(
            [
                r["dataset"],
                r["source"],
                r["task"],
                r["rows"],
                len(r["models"]["ours"]["runs"]),
                r["metric"],
                *cells,
                "-" if ratio is None else f"{ratio:.4f}",
            ]
        )
    return headers, rows


def time_rows(results: list[dict[str, Any]], models: list[str]) -> tuple[list[str], list]:
    models = ["ours", *models]
    headers = ["dataset", *(label(m) for m in models), "default recipe: epochs (best)"]
    rows = []
    for r in results:
        cells = []
        for m in models:
            model = r["models"].get(m)
            cells.append("-" if model is None else mean_and_spread(model["fit_seconds"], 1))
        runs = r["models"]["ours"]["runs"]
        epochs = ", ".join(f"{x['epochs']} ({x['best_epoch']})" for x in runs)
        rows.append([r["dataset"], *cells, epochs])
    return headers, rows


def print_report(results: list[dict[str, Any]], models: list[str]) -> None:
    """The per-dataset scores, fit times and the ratio summary, as plain-text tables."""
    print("\nTest scores (higher is better; mean ± spread over seeds)")
    print(format_table(*score_rows(results, models)))
    print("\nFit seconds (mean ± spread over seeds; the default recipe's training alone)")
    print(format_table(*time_rows(results, models)))
    print("\nDefault recipe / each model (mean score over seeds), over datasets")
    print(format_table(*summary_rows(summary(results))))
    unverified = [r["dataset"] for r in results if not r["same_split_verified"]]
    if unverified:
        print(f"\nWARNING: same split NOT verified for {', '.join(unverified)}")


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in row_cells(rows)]
    return "\n".join(lines)


def row_cells(rows: list[list[Any]]) -> list[list[str]]:
    """Markdown cell texts: thousands separators for counts, "-" for nothing."""

    def text(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:,}" if isinstance(value, int) else str(value)

    return [[text(c) for c in row] for row in rows]


def merge_documents(documents: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    """One results document from runs of the same benchmark over different datasets.

    Used when a long run is split into processes that run side by side (``--from-json``):
    the datasets are put back in ``order``, every command is kept, and the time is the
    longest run's.
    """
    merged = dict(documents[0])
    results = [row for document in documents for row in document["results"]]
    merged["results"] = sorted(results, key=lambda row: order.index(row["dataset"]))
    merged["commands"] = [document["environment"]["command"] for document in documents]
    merged["seconds"] = max(document["seconds"] for document in documents)
    merged["seeds"] = sorted({seed for document in documents for seed in document["seeds"]})
    merged["environment"] = {
        **documents[0]["environment"],
        "finished_at": max(document["environment"]["finished_at"] for document in documents),
    }
    # What the runs set out to measure; unknown (empty) if one run did not record it.
    planned = [document.get("datasets") for document in documents]
    merged["datasets"] = [] if None in planned else sorted({n for names in planned for n in names})
    for key in ("skipped_models", "skipped_datasets"):
        merged[key] = {k: v for document in documents for k, v in document.get(key, {}).items()}
    return merged


def markdown(document: dict[str, Any], models: list[str], planned: int) -> str:
    """The benchmark page (``docs/benchmarks/*.md``) from the results document."""
    results = document["results"]
    env = document["environment"]
    packages = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
    done = len(results)
    state = "complete" if done == planned else f"PARTIAL: {done} of {planned} datasets done"
    overall = summary(results)
    commands = document.get("commands") or [env["command"]]
    parts = [
        f"# Quality of the default recipe ({document['name']})",
        "",
        *(f"- Command: `{command}`" for command in commands),
        f"- Finished: {env['finished_at']} ({state}; {document['seconds'] / 60:.0f} minutes)",
        f"- Machine: {env['cpu_count']} CPU cores shared with other work (fit times are "
        f"only comparable within a row), {env['platform']}, Python {env['python']}",
        f"- Packages: {packages}",
        f"- Threads per model: {document.get('threads') or 'each library’s default'}",
        *(f"- Note: {note}" for note in document.get("notes", [])),
        f"- Seeds: {', '.join(str(s) for s in document['seeds'])} (the first n of them for a "
        "dataset with n in its seeds column); recipe changes: "
        f"{document['recipe_changes'] or 'none (the default recipe)'}",
        "- Datasets and models: see the docstrings of `bench/datasets.py`, "
        "`bench/competitors.py` and `bench/strong_models.py`. Every model gets the same "
        "rows: the app's split of each seed; the other models fit on training + validation "
        "rows and all are scored on the app's test rows.",
    ]
    for kind, skipped in (("model", "skipped_models"), ("dataset", "skipped_datasets")):
        for name, reason in document.get(skipped, {}).items():
            parts.append(f"- Skipped {kind} {name}: {reason}")
    parts += [
        "",
        "## Default recipe / each model, over datasets",
        "",
        "Ratio = the default recipe's mean test score / the model's (1.0 = tie; higher is "
        f"better for ROC AUC, accuracy and R²). {BEST_SIMPLE} = the best of HGB, "
        "logistic/linear and the article's network on each dataset.",
        "",
        markdown_table(*summary_rows(overall)),
    ]
    left_out = {n: s["left_out"] for n, s in overall.items() if s["left_out"]}
    for name, datasets in left_out.items():
        parts.append(f"\n{label(name)}: left out where its score is ≤ 0: {', '.join(datasets)}.")
    parts += [
        "",
        "## Test scores (mean ± spread over seeds)",
        "",
        markdown_table(*score_rows(results, models)),
        "",
        "## Fit seconds (mean ± spread over seeds)",
        "",
        "The default recipe's figure is its training alone (the app then also scores two "
        "baselines and permutation importance); the others' include their prediction.",
        "",
        markdown_table(*time_rows(results, models)),
        "",
    ]
    return "\n".join(parts)


def reusable_runs(
    paths: list[Path], seeds: list[int], max_rows: int | None
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per dataset, the other models' runs of earlier results made on ``seeds`` and rows."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for path in paths:
        document = read_back(path)
        if document.get("max_rows") != max_rows or document.get("quick"):
            continue
        usable = len(seeds) if document["seeds"][: len(seeds)] == seeds else 0
        for row in document["results"]:
            runs = {
                model: summary["runs"][:usable]
                for model, summary in row["models"].items()
                if model != "ours" and len(summary["runs"]) >= usable > 0
            }
            found.setdefault(row["dataset"], {}).update(runs)
    return found


def read_back(path: Path) -> dict[str, Any]:
    """The results document as written (with its environment), for the Markdown page."""
    return json.loads(path.read_text(encoding="utf-8"))
