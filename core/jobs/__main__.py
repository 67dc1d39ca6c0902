"""``python -m core.jobs run <job_dir>``: the entry point of one job's own process."""

import sys

from core.jobs.process import main

raise SystemExit(main(sys.argv[1:]))
