"""Command-line interface: ``python -m core`` and ``trainboard``.

Engineers and the benchmarks drive Trainboard without a browser:

- ``profile DATA`` prints the column profile and health warnings as JSON;
- ``train DATA --target COLUMN`` trains, prints one line per epoch on stderr
  and, as the last line of stdout, one JSON object describing the run;
- ``predict BUNDLE.zip DATA.csv`` scores new rows with an exported bundle.

Exit status: 0 on success, 2 on unusable input (one ``error:`` line on stderr,
never a traceback), 1 on an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from core.errors import TrainboardError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2
DATA_HELP = "CSV file (.csv or .csv.gz) or Excel workbook (.xlsx)"
SHEET_HELP = "the sheet to read from an Excel workbook (default: the first one)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes with our exit code and ``error:`` prefix."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_UNUSABLE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trainboard", description="Train and use neural networks on CSV data.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    profile = commands.add_parser("profile", help="Print the column profile and warnings as JSON.")
    profile.add_argument("data", type=Path, help=DATA_HELP)
    profile.add_argument("--sheet", help=SHEET_HELP)
    profile.add_argument("--target", help="column to predict (adds the task and target checks)")

    train = commands.add_parser("train", help="Train a model and export it.")
    train.add_argument("data", type=Path, help=DATA_HELP)
    train.add_argument("--sheet", help=SHEET_HELP)
    train.add_argument("--target", required=True, help="column to predict")
    train.add_argument("--recipe", type=Path, help="recipe JSON (default: the default recipe)")
    train.add_argument(
        "--epochs", type=int, help="most passes over the data (overrides the recipe)"
    )
    train.add_argument("--seed", type=int, help="random seed (overrides the recipe)")
    train.add_argument("--out", type=Path, help="where to write the bundle (default: model.zip)")

    predict = commands.add_parser("predict", help="Score new rows with an exported bundle.")
    predict.add_argument("bundle", type=Path, help="bundle .zip written by train")
    predict.add_argument("data", type=Path, help="CSV or .xlsx file with the same columns")
    predict.add_argument("--sheet", help=SHEET_HELP)
    predict.add_argument(
        "--out", type=Path, help="predictions CSV (default: predictions.csv next to DATA)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        if args.command == "profile":
            return _profile(args)
        if args.command == "train":
            return _train(args)
        return _predict(args)
    except TrainboardError as error:
        print(f"error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_FAILED


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_file(path: Path) -> None:
    from core.errors import UnusableDataError

    if not path.is_file():
        raise UnusableDataError(f"There is no file at '{path}'. Check the path and try again.")


def _profile(args: argparse.Namespace) -> int:
    from core.data.profiling import profile_table
    from core.portable.reading import read_table

    _check_file(args.data)
    frame = read_table(args.data, name=args.data.name, sheet=args.sheet)
    profile = profile_table(frame, args.target)
    print(json.dumps(profile.to_dict(), indent=2, allow_nan=False))
    return EXIT_OK


def _read_recipe(path: Path):  # noqa: ANN202 - Recipe, imported lazily
    from core.errors import RecipeError
    from core.model.recipe import Recipe

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(f"There is no recipe file at '{path}'. Check the path.") from None
    except (OSError, UnicodeDecodeError):
        raise RecipeError(
            f"The recipe file '{path}' cannot be read as text. Save it as UTF-8 JSON and try again."
        ) from None
    return Recipe.from_json(text)


def _train(args: argparse.Namespace) -> int:
    from core.model.diagnosis import Diagnosis, summaries
    from core.model.recipe import Recipe

    _check_file(args.data)
    recipe = _read_recipe(args.recipe) if args.recipe else Recipe()
    changes: dict = {"target": args.target}
    if args.epochs is not None:
        changes["training.max_epochs"] = args.epochs
    if args.seed is not None:
        changes["seed"] = args.seed
    recipe = recipe.with_changes(**changes)

    # Imported after the input checks, so a bad path or recipe fails fast.
    from core.pipeline import export_run, load_table, train_run

    frame = load_table(args.data, sheet=args.sheet)

    def report_epoch(epoch: dict) -> None:
        print(
            f"epoch {epoch['epoch']:>4}/{recipe.training.max_epochs}  "
            f"loss {epoch['loss']:.4f}  val_loss {epoch['val_loss']:.4f}  "
            f"{epoch['metric_name']} {epoch['metric']:.4f}  val {epoch['val_metric']:.4f}  "
            f"({epoch['seconds']:.2f}s)",
            file=sys.stderr,
            flush=True,
        )

    run = train_run(frame, recipe, data_name=args.data.name, on_epoch=report_epoch)
    out = args.out or Path("model.zip")
    result = export_run(run, out)
    print(run.outcome.message, file=sys.stderr)
    summary = {
        key: result.get(key)
        for key in (
            "task",
            "target",
            "class_labels",
            "primary_metric",
            "metrics",
            "baselines",
            "verdict",
            "epochs_run",
            "best_epoch",
            "stopped_because",
            "message",
            "seconds",
            "warnings",
            "bundle",
            "feature_importance",
            "data",
            "batch_size",
        )
    }
    # What the training doctor read in the curves: stable codes and plain messages.
    summary["diagnosis"] = summaries(
        [Diagnosis.from_dict(d) for d in result.get("diagnosis") or []]
    )
    print(json.dumps(summary, allow_nan=False, default=str))
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    from core.bundle.writer import predict_command

    _check_file(args.data)
    if not args.bundle.is_file():
        from core.errors import BundleError

        raise BundleError(f"There is no bundle at '{args.bundle}'. Check the path and try again.")
    # Without --out, predictions.csv is written next to the data file, as predict.py does.
    summary = predict_command(args.bundle, args.data, args.out, sheet=args.sheet)
    # For people: what was predicted and what the model had to guess (also in the JSON).
    print(f"{summary['headline']} Written to {summary['out']}.", file=sys.stderr)
    for note in summary["notes"]:
        print(f"{note['level']}: {note['message']}", file=sys.stderr)
    print(json.dumps(summary, allow_nan=False, default=str))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
