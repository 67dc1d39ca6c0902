"""Reports to share: one self-contained HTML file per run, or per comparison of runs.

- :func:`run_report` — a run's verdict, scores with their ranges and baselines, the
  decision threshold, learning curves, the training doctor's findings, which columns
  matter, the data and the recipe in plain words.
- :func:`comparison_report` — two or more runs side by side.
- :class:`ReportRun` — what a report reads from a run (``from_trained``, ``from_result``).
- :func:`write_report` — write a report without ever leaving half a file.
- :func:`report_file_name` — the name a report is downloaded as.

The HTML opens offline in any browser: styles and plotly.js are inside the file.
"""

from core.report.compare_page import comparison_report
from core.report.render import report_file_name, write_report
from core.report.run_page import run_report
from core.report.source import ReportRun

__all__ = ["ReportRun", "comparison_report", "report_file_name", "run_report", "write_report"]
