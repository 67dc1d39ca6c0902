"""``python -m core.jobs run <job_dir>`` (one job) or ``tune <study_dir>`` (a settings search)."""

import sys

if sys.argv[1:2] == ["tune"]:
    from core.tuning.launch import main as tune

    raise SystemExit(tune(sys.argv[2:]))

from core.jobs.process import main

raise SystemExit(main(sys.argv[1:]))
