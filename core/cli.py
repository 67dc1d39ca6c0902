"""Command-line interface: ``python -m core`` and ``trainboard``.

Engineers and the benchmarks drive Trainboard without a browser:

- ``profile DATA`` prints the column profile and health warnings as JSON;
- ``recipe [DATA --target COLUMN]`` prints a recipe as JSON: the default one, or the
  one the app starts from for that file (``--explain`` prints every setting instead);
- ``train DATA --target COLUMN`` trains, prints one line per epoch on stderr
  and, as the last line of stdout, one JSON object describing the run;
  ``train DATA --recipe FILE`` trains with a recipe downloaded from the Design page (or a
  run's ``recipe.json``), checked against the data first (:mod:`core.model.recipe_fit`):
  the same data, recipe and seed give the same test metrics as the run in the app;
- ``tune DATA --target COLUMN --budget MINUTES`` searches good settings (:mod:`core.tuning`):
  each try is a run of the job runner, one line per try on stderr; the best settings are
  trained again and tested, their bundle written to ``--out``, and the last stdout line is
  one JSON object (best recipe, its validation loss, its test metrics, tries, pruned);
- ``predict BUNDLE.zip DATA.csv`` scores new rows with an exported bundle.

Every command takes ``--lang en|zh``: the language of its messages (the ``error:`` line,
the notes, the run's verdict and diagnosis in the JSON). Without it they are English.

Exit status: 0 on success, 2 on unusable input (one ``error:`` line on stderr,
never a traceback), 1 on an unexpected failure. Every check that can fail on the
user's input (the files, the outputs, the recipe, the target column) runs before
TensorFlow is imported, which takes seconds; TensorFlow itself is loaded quietly
(:mod:`core.quiet_tensorflow`), so its start-up lines never come before that one
``error:`` line. Outputs go to the current folder unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import TrainboardError
from core.i18n import LANGUAGES, Texts, set_language

if TYPE_CHECKING:
    import pandas as pd

    from core.data.profiling import DataProfile
    from core.model.recipe import Recipe
    from core.model.recipe_fit import MadeFor

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2
# Every message of the command line: keys of the catalog "core.cli" (core.po). The decision
# line is printed like a note ("info: ..."), so a reader of stderr finds only the headline
# and notes.
TEXT = Texts("core.cli")
# The help text of every command and option (catalog "core.cli.help", cli_help.po), in the
# language --lang names: main() reads --lang before the parser is built.
HELP = Texts("core.cli.help")

DEFAULT_BUNDLE = "model.zip"  # written in the current folder unless --out says otherwise
BUNDLE_SUFFIX = ".zip"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes with our exit code and ``error:`` prefix."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_UNUSABLE)


def build_parser() -> argparse.ArgumentParser:
    """The ``trainboard`` argument parser (sub-commands profile, recipe, train, predict)."""
    from core.bundle.layout import DEFAULT_PREDICTIONS

    parser = _Parser(prog="trainboard", description=HELP["description"])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    # Every command takes --lang, wherever it is written after the command's name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=sorted(LANGUAGES), help=TEXT["lang_help"])

    profile = commands.add_parser("profile", parents=[common], help=HELP["profile"])
    profile.add_argument("data", type=Path, help=HELP["data"])
    profile.add_argument("--sheet", help=HELP["sheet"])
    profile.add_argument("--target", help=HELP["profile_target"])

    recipe = commands.add_parser(
        "recipe",
        parents=[common],
        help=HELP["recipe"],
    )
    recipe.add_argument(
        "data", type=Path, nargs="?", help=HELP["recipe_data"].format(data=HELP["data"])
    )
    recipe.add_argument("--sheet", help=HELP["sheet"])
    recipe.add_argument("--target", help=HELP["recipe_target"])
    recipe.add_argument(
        "--explain",
        action="store_true",
        help=HELP["explain"],
    )

    train = commands.add_parser("train", parents=[common], help=HELP["train"])
    train.add_argument("data", type=Path, help=HELP["data"])
    train.add_argument("--sheet", help=HELP["sheet"])
    train.add_argument("--target", help=HELP["train_target"])
    train.add_argument(
        "--recipe",
        type=Path,
        help=HELP["train_recipe"],
    )
    train.add_argument("--epochs", type=int, help=HELP["epochs"])
    train.add_argument("--seed", type=int, help=HELP["seed"])
    train.add_argument(
        "--out",
        type=Path,
        help=HELP["train_out"].format(bundle=DEFAULT_BUNDLE),
    )

    _add_tune_parser(commands, common)

    predict = commands.add_parser("predict", parents=[common], help=HELP["predict"])
    predict.add_argument("bundle", type=Path, help=HELP["predict_bundle"])
    predict.add_argument("data", type=Path, help=HELP["predict_data"])
    predict.add_argument("--sheet", help=HELP["sheet"])
    predict.add_argument(
        "--out",
        type=Path,
        help=HELP["predict_out"].format(predictions=DEFAULT_PREDICTIONS),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status (see the module docstring)."""
    early = _language_argument(argv)
    if early:  # before the parser is built, so that --help is in that language too
        set_language(early)
    args = build_parser().parse_args(argv)
    if args.lang:
        set_language(args.lang)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "profile": _profile,
        "recipe": _recipe,
        "train": _train,
        "tune": _tune,
        "predict": _predict,
    }
    try:
        return commands[args.command](args)
    except TrainboardError as error:
        print(f"error: {_one_line(str(error))}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print(f"error: {TEXT['interrupted']}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader of stdout went away (`trainboard recipe --explain | head`): not an error
        # worth a traceback. Point stdout at nothing so Python's final flush stays silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _language_argument(argv: Sequence[str] | None) -> str | None:
    """The value of ``--lang`` wherever it is written, if it names a language (else None:
    the full parser reports a wrong value in its own words)."""
    reader = argparse.ArgumentParser(add_help=False)
    reader.add_argument("--lang")
    known, _ = reader.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    return known.lang if known.lang in LANGUAGES else None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_file(path: Path) -> None:
    from core.errors import UnusableDataError

    if not path.is_file():
        raise UnusableDataError(TEXT["no_file"].format(path=path))


def _check_output(path: Path, example_name: str, suffix: str | None = None) -> Path:
    """``path`` if a file can be written there; a plain error otherwise.

    Runs before any work starts, so a typo in ``--out`` never costs a finished training.
    """
    from core.errors import UnusableDataError

    if path.is_dir():
        raise UnusableDataError(
            TEXT["out_is_folder"].format(path=path, example=path / example_name)
        )
    if suffix is not None and path.suffix.lower() != suffix:
        example = path.with_suffix(suffix).name
        raise UnusableDataError(
            TEXT["out_suffix"].format(path=path, suffix=suffix, example=example)
        )
    folder = path.parent
    if not folder.exists():
        raise UnusableDataError(TEXT["out_no_folder"].format(folder=folder))
    if not folder.is_dir():
        raise UnusableDataError(TEXT["out_not_folder"].format(folder=folder))
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UnusableDataError(TEXT["out_no_permission"].format(path=path))
    return path


def _read_table(path: Path, sheet: str | None) -> pd.DataFrame:
    """The table of a data file, read the way the whole app reads it (no TensorFlow)."""
    from core.portable.reading import read_table

    _check_file(path)
    return read_table(path, name=path.name, sheet=sheet)


def _profile(args: argparse.Namespace) -> int:
    from core.data.profiling import profile_table

    profile = profile_table(_read_table(args.data, args.sheet), args.target)
    print(json.dumps(profile.to_dict(), indent=2, allow_nan=False))
    return EXIT_OK


def _read_recipe(path: Path) -> tuple[Recipe, MadeFor]:
    """A recipe file (a downloaded one or a plain ``recipe.json``), read safely."""
    from core.errors import RecipeError
    from core.model.recipe_fit import MAX_RECIPE_BYTES, load_recipe_file

    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_RECIPE_BYTES + 1)  # the size check needs no more
    except FileNotFoundError:
        raise RecipeError(TEXT["no_recipe_file"].format(path=path)) from None
    except OSError:
        raise RecipeError(TEXT["recipe_unreadable"].format(path=path)) from None
    return load_recipe_file(content)


def _recipe(args: argparse.Namespace) -> int:
    from core.model.recipe import Recipe

    if args.explain:
        from core.model.reference import recipe_reference

        print(recipe_reference())
        return EXIT_OK
    recipe = Recipe()
    if args.data is not None:
        from core.data.profiling import profile_table
        from core.model.starting_recipe import starting_recipe

        frame = _read_table(args.data, args.sheet)
        profile = profile_table(frame, args.target, test_fraction=recipe.split.test_fraction)
        recipe = starting_recipe(profile, recipe)
    elif args.target is not None:
        recipe = recipe.with_changes(target=args.target)
    print(recipe.to_json())
    return EXIT_OK


def _checked_training_input(
    args: argparse.Namespace,
) -> tuple[Recipe, pd.DataFrame, DataProfile, Path]:
    """Everything ``train`` needs, checked without TensorFlow (which takes seconds to load)."""
    from core.bundle.layout import model_card_beside
    from core.data.profiling import profile_table
    from core.errors import RecipeError
    from core.model.recipe import Recipe
    from core.model.recipe_fit import MadeFor, check_recipe_fits, profile_target

    out = _check_output(args.out or Path(DEFAULT_BUNDLE), DEFAULT_BUNDLE, BUNDLE_SUFFIX)
    _check_output(model_card_beside(out), model_card_beside(Path(DEFAULT_BUNDLE)).name)
    _check_file(args.data)
    recipe, made_for = _read_recipe(args.recipe) if args.recipe else (Recipe(), MadeFor())
    if args.target is None and recipe.target is None:
        raise RecipeError(TEXT["no_target_in_recipe" if args.recipe else "no_target"])
    changes: dict = {"target": args.target or recipe.target}
    if args.epochs is not None:
        changes["training.max_epochs"] = args.epochs
    if args.seed is not None:
        changes["seed"] = args.seed
    recipe = recipe.with_changes(**changes)
    frame = _read_table(args.data, args.sheet)
    # The same profile the training would make: a wrong or unusable target column is
    # reported here, in well under a second, instead of after TensorFlow's start.
    target = recipe.target
    if args.recipe:  # a recipe's missing target is said by the fit check below, with the rest
        target = profile_target(recipe, [str(c) for c in frame.columns])
    profile = profile_table(frame, target, test_fraction=recipe.split.test_fraction)
    if args.recipe:  # the same check as the Design page's upload, in the same words
        problems = check_recipe_fits(recipe, profile, made_for)
        if problems:
            said = " ".join(problem.message for problem in problems)
            raise RecipeError(
                TEXT["recipe_misfit"].format(
                    recipe=args.recipe.name, data=args.data.name, problems=said
                )
            )
    return recipe, frame, profile, out


def _train(args: argparse.Namespace) -> int:
    recipe, frame, profile, out = _checked_training_input(args)

    from core.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    from core.evaluation.measures import format_metric
    from core.files import json_ready
    from core.model.diagnosis import Diagnosis, summaries
    from core.pipeline import export_run, train_run
    from core.results import EpochReport
    from core.tracking import log_finished_run, with_note

    def report_epoch(epoch: EpochReport) -> None:
        print(
            f"epoch {epoch.epoch:>4}/{recipe.training.max_epochs}  "
            f"loss {epoch.loss:.4f}  val_loss {epoch.val_loss:.4f}  "
            f"{epoch.metric_name} {format_metric(epoch.metric)}  "
            f"val {format_metric(epoch.val_metric)}  "
            f"({epoch.seconds:.2f}s)",
            file=sys.stderr,
            flush=True,
        )

    run = train_run(frame, recipe, data_name=args.data.name, on_epoch=report_epoch, profile=profile)
    result = export_run(run, out)
    print(result.message_text, file=sys.stderr)
    summary = result.summary()
    # The sentences in the language asked for (the result itself keeps them in English).
    summary.update(verdict=result.verdict_text, message=result.message_text)
    summary["warnings"] = result.warning_texts
    # Also logged to MLflow when MLFLOW_TRACKING_URI is set; a failure to log is a warning.
    tracked = log_finished_run(
        result.to_dict(), recipe, data_path=args.data, data_name=args.data.name
    )
    if tracked is not None:
        print(tracked.summary, file=sys.stderr)
        summary = with_note(summary, tracked)
    # What the training doctor read in the curves: stable codes and plain messages.
    summary["diagnosis"] = summaries([Diagnosis.from_dict(d) for d in result.diagnosis])
    if tracked is not None:
        summary["mlflow_run_id"] = tracked.run_id
    print(json.dumps(json_ready(summary), allow_nan=False))
    return EXIT_OK


def _add_tune_parser(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    tune = commands.add_parser(
        "tune",
        parents=[common],
        help=HELP["tune"],
    )
    tune.add_argument("data", type=Path, help=HELP["tune_data"])
    tune.add_argument("--target", help=HELP["tune_target"])
    tune.add_argument("--recipe", type=Path, help=HELP["tune_recipe"])
    tune.add_argument("--budget", type=float, required=True, help=HELP["budget"])
    tune.add_argument("--epochs", type=int, help=HELP["tune_epochs"])
    tune.add_argument("--max-trials", type=int, help=HELP["max_trials"])
    tune.add_argument("--seed", type=int, help=HELP["tune_seed"])
    tune.add_argument(
        "--out",
        type=Path,
        help=HELP["tune_out"].format(bundle=DEFAULT_BUNDLE),
    )
    tune.set_defaults(sheet=None)


def _tune(args: argparse.Namespace) -> int:
    """Search settings with the job runner (each try is a run), then export the best run."""
    import shutil

    from core.bundle.layout import model_card_beside
    from core.errors import TrainingError
    from core.files import json_ready
    from core.jobs.runner import BUNDLE_FILE, MODEL_CARD_FILE, get_runner
    from core.tuning.coordinator import run_study
    from core.tuning.launch import create_study, hold_lock
    from core.tuning.study_files import StudyPhase, TrialRecord

    recipe, _frame, _profile, out = _checked_training_input(args)
    runner = get_runner()
    folder = create_study(
        args.data, args.data.name, recipe, args.budget, seed=args.seed, max_trials=args.max_trials
    )
    hold_lock(folder)  # this process is the search's: pages see it live, not interrupted

    def report_trial(trial: TrialRecord) -> None:
        value = "-" if trial.value is None else f"{trial.value:.4f}"
        print(
            f"trial {trial.number:>3}  {trial.state.value:<9}  val_loss {value}  "
            f"({trial.epochs} passes)  {trial.name}",
            file=sys.stderr,
            flush=True,
        )

    print(f"info: searching for {args.budget:g} minutes; each try is a run", file=sys.stderr)
    state = run_study(runner, folder, on_trial=report_trial)
    best = state.best
    if state.phase != StudyPhase.FINISHED or best is None or state.best_job_id is None:
        raise TrainingError(state.message or "The search found no settings to keep.")
    status = runner.status(state.best_job_id)
    bundle = runner.artifact(state.best_job_id, BUNDLE_FILE)
    if status.result is None or bundle is None:
        raise TrainingError(status.error or "The best settings' run produced no bundle.")
    shutil.copyfile(bundle, out)
    card = runner.artifact(state.best_job_id, MODEL_CARD_FILE)
    if card is not None:
        shutil.copyfile(card, model_card_beside(out))
    print(status.result.message, file=sys.stderr)
    summary = {
        "best_recipe": best.recipe,
        "validation_loss": best.value,
        "test_metrics": status.result.metrics,
        "primary_metric": status.result.primary_metric,
        "verdict": status.result.verdict,
        "trials": len(state.trials),
        "pruned": sum(1 for t in state.trials if t.state.value == "pruned"),
        "cut_short": sum(1 for t in state.trials if t.state.value == "cut_short"),
        "best_trial": best.number,
        "best_job_id": state.best_job_id,
        "study_id": state.study_id,
        "bundle": str(out),
    }
    print(json.dumps(json_ready(summary), allow_nan=False))
    return EXIT_OK


def _predict(args: argparse.Namespace) -> int:
    from core.bundle.layout import DEFAULT_PREDICTIONS
    from core.files import json_ready

    out = _check_output(args.out or Path(DEFAULT_PREDICTIONS), DEFAULT_PREDICTIONS)
    _check_file(args.data)
    if not args.bundle.is_file():
        from core.errors import BundleError

        raise BundleError(TEXT["no_bundle"].format(path=args.bundle))
    from core.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    from core.bundle.loading import predict_command

    summary = predict_command(args.bundle, args.data, out, sheet=args.sheet)
    # For people: what was predicted and what the model had to guess (also in the JSON).
    written = TEXT["written_to"].format(headline=summary["headline"], out=summary["out"])
    print(written, file=sys.stderr)
    if summary.get("decision_threshold") is not None:
        label = list(summary["prediction_counts"])[-1]  # counts are in class order
        print(
            TEXT["decision_line"].format(threshold=summary["decision_threshold"], label=label),
            file=sys.stderr,
        )
    for note in summary["notes"]:
        print(f"{note['level']}: {note['message']}", file=sys.stderr)
    print(json.dumps(json_ready(summary), allow_nan=False))
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
