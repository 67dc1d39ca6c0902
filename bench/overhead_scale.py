"""Part 2 of bench/overhead.py: how a run scales from 10k to 1M rows, and its peak memory.

For each size a synthetic table (20 columns: 12 numeric with some empty cells, 8 categorical
with 3 to 50 categories, and a yes/no target that depends on them) is written as CSV to a
temporary folder, and a child process measures, one size per process:

- reading + profiling (``read_table`` + ``profile_table``),
- split + preprocessing fit/transform (``core.model.preparation.prepare``),
- the automatic batch size,
- seconds per epoch of the default recipe's network via ``core.model.training.fit`` (2 epochs;
  the second is reported, the first includes graph tracing),
- peak resident memory of that child process (its own ``VmHWM`` from /proc/self/status,
  read by the child after each stage; it includes the memory TensorFlow takes on import,
  reported separately as ``rss_after_import_mb``). ``ru_maxrss`` is not used on Linux: it
  carries over the peak of the parent that forked the child. Goal: peak <= TensorFlow's own
  + 3 x the float32 matrix (``memory_ratio``).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.overhead_loop import TARGET, default_recipe, synthetic_table
from bench.reporting import REPO_ROOT, format_table


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
    # The heavy part of the tail on a big table: the simple models fitted on the same matrix,
    # and the shuffle importance on the test rows (as core.pipeline runs them).
    from core.evaluation.baselines import baseline_outputs
    from core.evaluation.importance import block_importance, column_blocks
    from core.pipeline import model_outputs

    labels = list(data.task.class_labels)
    baseline_outputs(task, data.x_train, data.y_train, data.x_test, labels, recipe.seed)
    block_importance(
        lambda features: model_outputs(model, features, data.task),
        data.x_test,
        data.y_test,
        task,
        column_blocks(data.preprocessor),
        seed=recipe.seed,
    )
    peaks["after_tail"] = _peak_rss_mb()
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
        "peak_rss_mb": peaks["after_tail"],
        "peak_rss_by_stage_mb": peaks,
        "memory_measure": "VmHWM of /proc/self/status in the child (peak RSS since exec)",
        # What the run adds to TensorFlow's own memory, in float32 matrices (goal <= 3).
        "memory_ratio": (peaks["after_tail"] - peaks["after_import"])
        / max(1e-9, sum(a.nbytes for a in (data.x_train, data.x_val, data.x_test)) / 2**20),
    }


def scale(sizes: list[int], workdir: Path, log) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        csv_path = workdir / f"synthetic_{n}.csv"
        started = time.perf_counter()
        synthetic_table(n).to_csv(csv_path, index=False)
        log(f"  {n:,} rows: CSV written in {time.perf_counter() - started:.1f}s; measuring ...")
        child = subprocess.run(
            [sys.executable, str(REPO_ROOT / "bench" / "overhead.py"), "--child", str(csv_path)],
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


def print_scale(sizes: list[dict[str, Any]]) -> None:
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
        "matrix MB",
        "(peak-import)/matrix",
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
            f"{s['matrix_mb']:.0f}",
            f"{s['memory_ratio']:.2f}",
        ]
        for s in sizes
    ]
    print(
        "\nScale (one child process per size; peak RSS = the child's own VmHWM, "
        "TensorFlow included)"
    )
    print(format_table(headers, table))
