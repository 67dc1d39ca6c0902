"""What a person waits for besides the fit itself, and what a run costs in memory.

Six parts, each in its own module, all in one command so that every figure is set beside
a reference measured in the same run on the same (shared) machine:

1. ``loop`` (:mod:`bench.overhead_loop`): the app's training loop against a bare
   ``keras.Model.fit``. Goal: ratio <= 1.05.
2. ``scale`` (:mod:`bench.overhead_scale`): 10k to 1M synthetic rows x 20 columns: reading,
   profiling, preparing, seconds per pass and the peak memory of a child process against
   TensorFlow's own. Goal: peak <= TensorFlow's own + 3 x the float32 matrix.
3. ``start`` (:mod:`bench.overhead_start`): Start -> first pass on screen with the warm
   worker, a cold job process, and a bare ``python -c "import tensorflow"``. Goal: warm <
   the import alone.
4. ``tail`` (:mod:`bench.overhead_tail`): the steps after the last pass on the sample
   datasets, each as a ratio to the fit. Goal: the tail <= the fit.
5. ``columns`` (:mod:`bench.overhead_tail`): 400 rows with 20, 200 and 2,000 numeric
   columns, the whole run. Goal: time grows no faster than the data.
6. ``responsive`` (:mod:`bench.overhead_responsive`): a Data page visit while a job trains
   against the same visit with no job. Goal: at most 1.5 times as long.

Usage::

    python bench/overhead.py                      # everything (about 20 minutes on 2 cores)
    python bench/overhead.py --parts start,tail,columns
    python bench/overhead.py --sizes 10000,100000 --rounds 5
    python bench/overhead.py --quick              # a smoke run of every part
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import (  # noqa: E402
    overhead_loop,
    overhead_responsive,
    overhead_scale,
    overhead_start,
    overhead_tail,
)
from bench.reporting import REPO_ROOT, write_results  # noqa: E402

PARTS = ("loop", "scale", "start", "tail", "columns", "responsive")
SCRIPT = Path(__file__).resolve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS)
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="rows, comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of each side (loop)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run in the loop part")
    parser.add_argument("--overhead-rows", type=int, default=20000, help="rows in the loop part")
    parser.add_argument("--start-rounds", type=int, default=3, help="rounds of the start part")
    parser.add_argument(
        "--visit-rounds", type=int, default=3, help="page visits of each side (responsive)"
    )
    parser.add_argument("--samples", default=",".join(n for n, _ in overhead_tail.SAMPLES))
    parser.add_argument("--columns", default=",".join(map(str, overhead_tail.COLUMN_COUNTS)))
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: tiny sizes, one round, one sample"
    )
    parser.add_argument(
        "--results-dir", type=Path, default=None, help="where to write overhead.json"
    )
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-run", nargs="+", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(overhead_scale.measure_size(args.child)))
        return 0
    if args.child_run is not None:
        path, target, *epochs = args.child_run
        measured = overhead_tail.measure_run(Path(path), target, int(epochs[0]) if epochs else None)
        print(json.dumps(measured))
        return 0
    if args.quick:
        args.rounds, args.epochs, args.overhead_rows, args.sizes = 1, 2, 2000, "2000"
        args.start_rounds, args.samples, args.columns = 1, "penguins.csv", "20,200"
        args.visit_rounds = 1
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose from {', '.join(PARTS)}")

    def log(text: str) -> None:
        print(text, flush=True)

    started = time.perf_counter()
    report: dict = {"quick": args.quick, "parts": parts}
    if "loop" in parts:
        log(f"Loop overhead on {args.overhead_rows:,} rows ...")
        report["loop_overhead"] = overhead_loop.loop_overhead(
            args.overhead_rows, args.epochs, max(1, args.rounds)
        )
    if "scale" in parts:
        log("Scale ...")
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
        with tempfile.TemporaryDirectory() as workdir:
            report["scale"] = overhead_scale.scale(sizes, Path(workdir), log)
    if "start" in parts:
        log("Start -> first pass ...")
        report["start"] = overhead_start.start_latency(
            REPO_ROOT / "sample_data" / "telco_churn.csv", "churn", max(1, args.start_rounds), log
        )
    if "tail" in parts:
        log("The tail on the sample datasets ...")
        chosen = [s.strip() for s in args.samples.split(",") if s.strip()]
        samples = [(name, target) for name, target in overhead_tail.SAMPLES if name in chosen]
        report["tail"] = overhead_tail.tail_runs(SCRIPT, samples, log, 3 if args.quick else None)
    if "columns" in parts:
        log("Columns ...")
        counts = [int(c) for c in args.columns.split(",") if c.strip()]
        report["columns"] = overhead_tail.column_runs(SCRIPT, counts, overhead_tail.WIDE_ROWS, log)
    if "responsive" in parts:
        log("A page visit while a job trains ...")
        report["responsive"] = overhead_responsive.responsiveness(max(1, args.visit_rounds), log)

    seconds = time.perf_counter() - started
    path = write_results("overhead", {**report, "seconds": seconds}, args.results_dir)
    if "loop_overhead" in report:
        overhead_loop.print_loop(report["loop_overhead"])
    if report.get("scale"):
        overhead_scale.print_scale(report["scale"])
    if "start" in report:
        overhead_start.print_start(report["start"])
    if report.get("tail"):
        overhead_tail.print_tail(report["tail"])
    if report.get("columns"):
        overhead_tail.print_columns(report["columns"])
    if "responsive" in report:
        overhead_responsive.print_responsive(report["responsive"])
    print(f"\nTotal {seconds:.0f}s. Results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
