"""Turning a page's content and charts into one self-contained HTML file.

Jinja2 renders the templates in ``core/report/templates/`` with autoescaping on, so every
string from a run (column names, class labels, file and run names, messages that quote
them) is HTML-escaped unless it is marked safe here. Only three things are: the report's
own stylesheet, plotly.js, and the charts' JSON, which is escaped for a ``<script>``
element by :func:`script_json`. Plotly.js is inlined once per file (about 4.8 MB), so the
report opens offline in any browser; its Content-Security-Policy forbids every network
request.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from core.i18n import current_language
from core.portable.outputs import write_atomically
from core.report.content import format_when

TEMPLATES = Path(__file__).resolve().parent / "templates"
REPORT_SUFFIX = ".report.html"  # a downloaded report: "<run name>.report.html"
REPORT_STEM = "trainboard"  # when a name has nothing usable in a file name
STEM_MAX_CHARS = 100
STYLESHEET = "report.css"
# The chart toolbar keeps zoom, pan, reset and "download as PNG"; plotly's logo and the
# selection tools (meaningless here) go.
CHART_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
# Characters that could end a <script> element or start markup inside one, as JSON escapes.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a missing value is a bug, never an empty hole in the page
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    return get_plotlyjs()


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>``, no ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


class Charts:
    """The charts of one page: each gets an element id, and its figure is kept for the end."""

    def __init__(self) -> None:
        self._figures: list[tuple[str, go.Figure]] = []

    def add(self, figure: go.Figure) -> str:
        """Keep ``figure`` and return the id of the element it will be drawn in."""
        chart_id = f"chart-{len(self._figures) + 1}"
        self._figures.append((chart_id, figure))
        return chart_id

    def __len__(self) -> int:
        return len(self._figures)

    def as_json(self) -> str:
        # plotly's own encoder turns numpy values and NaN (as null) into plain JSON first.
        charts = [
            {"id": chart_id, "figure": json.loads(pio.to_json(figure, validate=False))}
            for chart_id, figure in self._figures
        ]
        return script_json(charts)


# The page's ``lang`` attribute per language (BCP 47), for screen readers and fonts.
HTML_LANGUAGES = {"en": "en", "zh": "zh-Hans"}


def render_page(
    template: str, context: Mapping[str, Any], charts: Charts, text: Mapping[str, str]
) -> str:
    """Render ``template`` with ``context``, the stylesheet, and plotly.js once if needed."""
    css = (TEMPLATES / STYLESHEET).read_text(encoding="utf-8")
    page = _environment().get_template(template)
    return page.render(
        **context,
        text=text,
        css=Markup(css),
        charts=len(charts) > 0,
        plotly_js=Markup(_plotly_js()) if len(charts) else "",
        charts_json=Markup(charts.as_json()),
        config_json=Markup(script_json(CHART_CONFIG)),
        generated_at=format_when(datetime.now(timezone.utc).isoformat(timespec="minutes")),
        language=HTML_LANGUAGES.get(current_language(), current_language()),
    )


def report_file_name(name: str) -> str:
    """The download name of a report about ``name``: ``Adam, 2 layers.report.html``.

    Characters that are unsafe in file names on some system (slashes, colons, quotes...)
    become ``_``; leading and trailing dots and spaces go (Windows refuses them).
    """
    stem = re.sub(r"[^\w\-,.() ]", "_", str(name))
    stem = re.sub(r"\s+", " ", stem)[:STEM_MAX_CHARS].strip(" ._") or REPORT_STEM
    return stem + REPORT_SUFFIX


def write_report(html: str, path: str | os.PathLike[str]) -> Path:
    """Write a report to ``path`` (never half-written: see :func:`write_atomically`)."""
    write_atomically(path, html.encode("utf-8"))
    return Path(path)
