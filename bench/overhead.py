"""How much the app's training loop costs, and how a run scales from 10k to 1M rows.

Part 1, loop overhead: :func:`core.model.training.fit` (with all its callbacks: progress,
best weights, stop button, divergence guard, learning-rate reduction) against a bare
``keras.Model.fit`` of the same network (``core.model.network.build_model``, compiled by
``core.model.network.compile_model``), on the same arrays, epochs, batch size and validation
data, in one process. After one warm-up run of each, the two alternate (order flipped every
round, a fresh model with the same seed each time); medians and their ratio are reported.
Early stopping is off, so both run every epoch. Goal: ratio <= 1.05.

Part 2, scale: for each size a synthetic table (20 columns: 12 numeric with some empty cells,
8 categorical with 3 to 50 categories, and a yes/no target that depends on them) is written
as CSV to a temporary folder, and a child process measures, one size per process:

- reading + profiling (``read_table`` + ``profile_table``),
- split + preprocessing fit/transform (``core.pipeline.prepare``),
- the automatic batch size,
- seconds per epoch of the default recipe's network via ``core.model.training.fit`` (2 epochs;
  the second is reported, the first includes graph tracing),
- peak resident memory of that child process (its own ``VmHWM`` from /proc/self/status,
  read by the child after each stage; it includes the memory TensorFlow takes on import,
  reported separately as ``rss_after_import_mb``). ``ru_maxrss`` is not used on Linux: it
  carries over the peak of the parent that forked the child.

Usage::

    python bench/overhead.py
    python bench/overhead.py --sizes 10000,100000 --rounds 5
    python bench/overhead.py --quick
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.reporting import REPO_ROOT, format_table, write_results  # noqa: E402

TARGET = "target"
NUMERIC_COLUMNS = 12
CATEGORY_COUNTS = (3, 4, 6, 10, 15, 25, 40, 50)  # 8 categorical columns
SEED = 42


# --- synthetic data -------------------------------------------------------------------------


def synthetic_table(n_rows: int, seed: int = SEED):
    """A business-like table: mixed columns, empty cells, and a learnable yes/no target."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {}
    logit = np.zeros(n_rows)
    for i in range(NUMERIC_COLUMNS):
        kind = i % 3
        if kind == 0:
            values = rng.normal(50, 15, n_rows)
        elif kind == 1:
            values = rng.lognormal(3, 1, n_rows)  # skewed, like amounts of money
        else:
            values = rng.integers(0, 60, n_rows).astype(float)  # counts, like tenure in months
        z = (values - values.mean()) / values.std()
        if i < 6:  # half of the number columns carry signal, one of them non-linearly
            logit += (0.8 - 0.15 * i) * (z if i != 2 else z**2 - 1)
        if i % 4 == 1:
            values[rng.random(n_rows) < 0.05 + 0.05 * (i % 3)] = np.nan
        columns[f"num_{i + 1:02d}"] = np.round(values, 3)
    for j, k in enumerate(CATEGORY_COUNTS):
        shares = 1.0 / np.arange(1, k + 1)  # a few common categories, a long tail
        codes = rng.choice(k, n_rows, p=shares / shares.sum())
        effects = rng.normal(0, 0.6 if j < 4 else 0.0, k)
        logit += effects[codes]
        labels = np.array([f"{chr(65 + j)}{c:02d}" for c in range(k)], dtype=object)
        values = labels[codes]
        if j % 3 == 0:
            values[rng.random(n_rows) < 0.03] = None
        columns[f"cat_{j + 1}"] = values
    probability = 1.0 / (1.0 + np.exp(-(logit - 1.0)))
    columns[TARGET] = np.where(rng.random(n_rows) < probability, "yes", "no")
    return pd.DataFrame(columns)


def default_recipe(**changes: Any):
    from core.model.recipe import Recipe

    recipe = Recipe(target=TARGET, seed=SEED)
    return recipe.with_changes(**changes) if changes else recipe


# --- part 1: loop overhead ------------------------------------------------------------------


def _epoch_clock():
    """A callback that only timestamps epochs (no batch hooks), attached to both sides."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.ends: list[float] = []
            self.start = 0.0

        def on_train_begin(self, logs=None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.ends.append(time.perf_counter())

    return EpochClock()


def loop_overhead(n_rows: int, epochs: int, rounds: int) -> dict[str, Any]:
    """Median fit time of core.model.training.fit vs bare keras fit, alternating."""
    import keras

    from core.model import training
    from core.model.network import build_model, compile_model
    from core.model.preparation import prepare

    recipe = default_recipe(**{"training.max_epochs": epochs, "training.early_stopping": False})
    data = prepare(synthetic_table(n_rows), recipe)
    arrays = (data.x_train, data.y_train, data.x_val, data.y_val)
    batch = recipe.training.effective_batch_size(len(data.x_train))
    n_classes = len(data.task.class_labels)
    task = data.task.task

    def fresh_model():
        keras.utils.set_random_seed(SEED)
        model = build_model(data.preprocessor.n_features, recipe.model, task, n_classes, SEED)
        compile_model(model, recipe.training, task)
        return model

    def run_core() -> tuple[float, float]:
        model = fresh_model()
        clock = _epoch_clock()
        # Same call as the app, plus the shared epoch clock (fit() takes no extra callbacks).
        original = model.fit

        def fit_with_clock(*args, **kwargs):
            kwargs["callbacks"] = [*kwargs.get("callbacks", []), clock]
            return original(*args, **kwargs)

        model.fit = fit_with_clock
        started = time.perf_counter()
        outcome = training.fit(model, arrays, recipe.training, task, batch_size=batch)
        total = time.perf_counter() - started
        assert outcome.epochs_run == epochs, outcome.message
        return total, clock.ends[-1] - clock.ends[0]

    def run_bare() -> tuple[float, float]:
        model = fresh_model()
        clock = _epoch_clock()
        started = time.perf_counter()
        model.fit(
            data.x_train,
            data.y_train,
            validation_data=(data.x_val, data.y_val),
            batch_size=batch,
            epochs=epochs,
            shuffle=True,
            verbose=0,
            callbacks=[clock],
        )
        total = time.perf_counter() - started
        return total, clock.ends[-1] - clock.ends[0]

    run_core(), run_bare()  # warm-up: TensorFlow's one-off start-up costs
    timings: dict[str, list[tuple[float, float]]] = {"core": [], "bare": []}
    for round_index in range(rounds):
        order = ("core", "bare") if round_index % 2 == 0 else ("bare", "core")
        for side in order:
            timings[side].append(run_core() if side == "core" else run_bare())
    result: dict[str, Any] = {
        "rows": n_rows,
        "n_train": int(len(data.x_train)),
        "n_features": int(data.preprocessor.n_features),
        "epochs": epochs,
        "batch_size": batch,
        "rounds": rounds,
    }
    for side, runs in timings.items():
        result[f"{side}_fit_seconds"] = [t for t, _ in runs]
        result[f"{side}_steady_seconds"] = [s for _, s in runs]  # epochs 2..N (no tracing)
        result[f"{side}_median"] = statistics.median(t for t, _ in runs)
        result[f"{side}_steady_median"] = statistics.median(s for _, s in runs)
    result["ratio"] = result["core_median"] / result["bare_median"]
    result["steady_ratio"] = (
        result["core_steady_median"] / result["bare_steady_median"] if epochs > 1 else None
    )
    return result


# --- part 2: scale (one child process per size) ---------------------------------------------


def _peak_rss_mb() -> float:
    """Peak resident memory of this process since it started, in MB.

    ``VmHWM`` of /proc/self/status belongs to the process image: it starts afresh at exec.
    ``getrusage(RUSAGE_SELF).ru_maxrss`` does not on Linux (it keeps the peak of the parent
    that forked it, here the benchmark holding the generated table), so it is only the
    fallback where /proc is missing.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure_size(csv_path: Path, epochs: int = 2) -> dict[str, Any]:
    """Run in a child process: every stage of a run on one CSV, with timings and peak memory."""
    peaks = {}
    import core.pipeline  # noqa: F401  (imports TensorFlow: its memory is measured on its own)
    from core.data.profiling import profile_table
    from core.model import training
    from core.model.network import build_model, compile_model
    from core.model.preparation import prepare
    from core.portable.reading import read_table

    peaks["after_import"] = _peak_rss_mb()
    recipe = default_recipe(**{"training.max_epochs": epochs})
    started = time.perf_counter()
    frame = read_table(csv_path)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    profile = profile_table(frame, TARGET, test_fraction=recipe.split.test_fraction)
    profile_seconds = time.perf_counter() - started
    peaks["after_read_profile"] = _peak_rss_mb()

    started = time.perf_counter()
    data = prepare(frame, recipe, profile)
    prepare_seconds = time.perf_counter() - started
    peaks["after_prepare"] = _peak_rss_mb()

    batch = recipe.training.effective_batch_size(len(data.x_train))
    import keras

    keras.utils.set_random_seed(recipe.seed)
    n_classes = len(data.task.class_labels)
    task = data.task.task
    model = build_model(data.preprocessor.n_features, recipe.model, task, n_classes, recipe.seed)
    compile_model(model, recipe.training, task)
    outcome = training.fit(
        model,
        (data.x_train, data.y_train, data.x_val, data.y_val),
        recipe.training,
        task,
        batch_size=batch,
    )
    peaks["after_training"] = _peak_rss_mb()
    epoch_seconds = [h.seconds for h in outcome.history]
    return {
        "rows": int(len(frame)),
        "csv_mb": csv_path.stat().st_size / 1e6,
        "read_seconds": read_seconds,
        "profile_seconds": profile_seconds,
        "load_profile_seconds": read_seconds + profile_seconds,
        "prepare_seconds": prepare_seconds,
        "n_train": int(len(data.x_train)),
        "n_features": int(data.preprocessor.n_features),
        "matrix_mb": sum(a.nbytes for a in (data.x_train, data.x_val, data.x_test)) / 1e6,
        "batch_size": batch,
        "epoch_seconds": epoch_seconds,
        "second_epoch_seconds": epoch_seconds[-1] if epoch_seconds else None,
        "steps_per_epoch": -(-len(data.x_train) // batch),
        "val_auc_proxy_accuracy": outcome.history[-1].val_metric if outcome.history else None,
        "rss_after_import_mb": peaks["after_import"],
        "peak_rss_mb": peaks["after_training"],
        "peak_rss_by_stage_mb": peaks,
        "memory_measure": "VmHWM of /proc/self/status in the child (peak RSS since exec)",
    }


def scale(sizes: list[int], workdir: Path, log) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        csv_path = workdir / f"synthetic_{n}.csv"
        started = time.perf_counter()
        synthetic_table(n).to_csv(csv_path, index=False)
        log(f"  {n:,} rows: CSV written in {time.perf_counter() - started:.1f}s; measuring ...")
        child = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(csv_path)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
        )
        if child.returncode != 0:
            raise RuntimeError(f"child for {n} rows failed:\n{child.stderr[-3000:]}")
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        log(
            f"  {n:,} rows: {measured['second_epoch_seconds']:.2f}s per epoch, "
            f"peak {measured['peak_rss_mb']:.0f} MB"
        )
        rows.append(measured)
        csv_path.unlink()
    return rows


# --- report ---------------------------------------------------------------------------------


def print_tables(loop: dict[str, Any], sizes: list[dict[str, Any]]) -> None:
    print(
        f"\nLoop overhead: {loop['n_train']:,} training rows x {loop['n_features']} inputs, "
        f"{loop['epochs']} epochs, batch {loop['batch_size']}, {loop['rounds']} rounds each "
        "after a warm-up (medians)"
    )
    rows = [
        [
            "whole fit (s)",
            f"{loop['core_median']:.2f}",
            f"{loop['bare_median']:.2f}",
            f"{loop['ratio']:.3f}",
        ],
    ]
    if loop["steady_ratio"] is not None:
        rows.append(
            [
                "epochs 2..N (s)",
                f"{loop['core_steady_median']:.2f}",
                f"{loop['bare_steady_median']:.2f}",
                f"{loop['steady_ratio']:.3f}",
            ]
        )
    print(
        format_table(
            ["measure", "core.model.training.fit", "bare keras fit", "ratio (goal <= 1.05)"], rows
        )
    )
    if not sizes:
        return
    headers = [
        "rows",
        "CSV MB",
        "read+profile s",
        "prepare s",
        "inputs",
        "batch",
        "s/epoch (2nd)",
        "steps",
        "RSS import MB",
        "peak RSS MB",
    ]
    table = [
        [
            f"{s['rows']:,}",
            f"{s['csv_mb']:.0f}",
            f"{s['load_profile_seconds']:.1f}",
            f"{s['prepare_seconds']:.1f}",
            s["n_features"],
            s["batch_size"],
            f"{s['second_epoch_seconds']:.2f}",
            s["steps_per_epoch"],
            f"{s['rss_after_import_mb']:.0f}",
            f"{s['peak_rss_mb']:.0f}",
        ]
        for s in sizes
    ]
    print(
        "\nScale (one child process per size; peak RSS = the child's own VmHWM, "
        "TensorFlow included)"
    )
    print(format_table(headers, table))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="rows, comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each side")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run in part 1")
    parser.add_argument("--overhead-rows", type=int, default=20000, help="rows in part 1")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2,000 rows, 2 epochs, 1 round, one size of 2,000 rows",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=None, help="where to write overhead.json"
    )
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure_size(args.child)))
        return 0
    if args.quick:
        args.rounds, args.epochs, args.overhead_rows, args.sizes = 1, 2, 2000, "2000"
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    started = time.perf_counter()
    print(f"Loop overhead on {args.overhead_rows:,} rows ...", flush=True)
    loop = loop_overhead(args.overhead_rows, args.epochs, max(1, args.rounds))
    print(f"  ratio {loop['ratio']:.3f}", flush=True)
    print("Scale ...", flush=True)
    with tempfile.TemporaryDirectory() as workdir:
        measured = scale(sizes, Path(workdir), lambda text: print(text, flush=True))
    print_tables(loop, measured)
    seconds = time.perf_counter() - started
    path = write_results(
        "overhead",
        {"quick": args.quick, "seconds": seconds, "loop_overhead": loop, "scale": measured},
        args.results_dir,
    )
    print(f"\nTotal {seconds:.0f}s. Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
