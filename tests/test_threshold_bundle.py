"""The decision threshold travels with the bundle: schema, metrics, card, CLI and predict.py.

One tiny yes/no model is trained and exported once (240 rows, 2 epochs). A copy of its
bundle is made with another threshold; the CLI and the bundle's own ``predict.py`` must
then answer "yes" exactly where the probability reaches that threshold.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import mixed_frame, tiny_recipe

from core.bundle.layout import METRICS_JSON, MODEL_CARD, PREDICT_SCRIPT, REPORT_HTML, SCHEMA_JSON
from core.bundle.loading import load_bundle, predict_command
from core.bundle.threshold import bundle_with_threshold, replace_section
from core.bundle.writer import write_bundle
from core.errors import BundleError
from core.pipeline import train_run
from core.portable.outputs import PREDICTION, probability_column

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = (0.3, 0.35, 0.4, 0.45, 0.55, 0.6, 0.65, 0.7)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A trained yes/no run, its bundle, rows to predict and a threshold that changes answers."""
    folder = tmp_path_factory.mktemp("threshold")
    run = train_run(mixed_frame(240), tiny_recipe("binary"), data_name="churn.csv")
    path = folder / "bundle.zip"
    write_bundle(run, path)
    rows = run.preview_frame.drop(columns=["churn"])
    data = folder / "new rows.csv"
    rows.to_csv(data, index=False)
    original = load_bundle(path).predict(rows)
    positive = probability_column(run.task.class_labels[1])
    p = original[positive].to_numpy(float)
    # The candidate that changes the most answers (a 2-epoch model's probabilities are close).
    threshold = max(CANDIDATES, key=lambda t: np.sum((p >= t) != (p >= 0.5)))
    assert np.sum((p >= threshold) != (p >= 0.5)) >= 1, "no candidate changes an answer"
    other = folder / "other.zip"
    other.write_bytes(bundle_with_threshold(path, threshold))
    return SimpleNamespace(
        run=run, path=path, other=other, data=data, rows=rows, p=p, threshold=threshold
    )


def _json(path: Path, name: str) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(name))


def _text(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


def test_a_new_bundle_says_the_usual_threshold_everywhere(bundles) -> None:
    assert _json(bundles.path, SCHEMA_JSON)["decision_threshold"] == 0.5
    metrics = _json(bundles.path, METRICS_JSON)
    assert metrics["decision_threshold"] == 0.5
    at = metrics["at_threshold"]
    assert at["precision"] == pytest.approx(metrics["metrics"]["precision"], abs=1e-9)
    assert at["recall"] == pytest.approx(metrics["metrics"]["recall"], abs=1e-9)
    assert len(metrics["decision_curve"]["thresholds"]) == 101
    card = _text(bundles.path, MODEL_CARD)
    assert "## The yes/no decision" in card
    assert "at least **0.50**" in card and "This is the usual threshold" in card
    assert "Of every 100 rows flagged as churn “yes”" in card
    report = _text(bundles.path, REPORT_HTML)
    assert "is at least 0.50" in report and "This is the usual threshold" in report


def test_the_copy_with_another_threshold_rewrites_schema_metrics_and_card(bundles) -> None:
    t = bundles.threshold
    assert _json(bundles.other, SCHEMA_JSON)["decision_threshold"] == t
    metrics = _json(bundles.other, METRICS_JSON)
    assert metrics["decision_threshold"] == t and metrics["at_threshold"]["threshold"] == t
    card = _text(bundles.other, MODEL_CARD)
    assert f"at least **{t:.2f}**" in card and "chosen in Trainboard" in card
    assert card.count("## The yes/no decision") == 1
    assert card.count("## ") == _text(bundles.path, MODEL_CARD).count("## ")
    # Everything else is the same file, byte for byte.
    with zipfile.ZipFile(bundles.path) as a, zipfile.ZipFile(bundles.other) as b:
        assert a.namelist() == b.namelist()
        changed = {n for n in a.namelist() if a.read(n) != b.read(n)}
    assert changed == {SCHEMA_JSON, METRICS_JSON, MODEL_CARD, REPORT_HTML}


def test_the_copys_report_states_the_new_threshold(bundles) -> None:
    """report.html agrees with the rest of the copy: the new threshold and its counts."""
    t = bundles.threshold
    at = _json(bundles.other, METRICS_JSON)["at_threshold"]
    report = _text(bundles.other, REPORT_HTML)
    assert f"is at least {t:.2f}" in report and "is at least 0.50" not in report
    assert "This threshold was chosen instead of the usual 0.5" in report
    # The counts at the new threshold are told (without them, only the usual threshold's).
    total = sum(at[k] for k in ("true_positives", "false_positives", "false_negatives"))
    total += at["true_negatives"]
    assert f"among {total:,} test rows" in report
    # Made from the bundle alone it still has its curves; with the run's result (what the
    # Export page passes) it keeps the data summary too.
    assert "churn.csv" not in report
    payload = bundle_with_threshold(bundles.path, t, bundles.run.result)
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        full = archive.read(REPORT_HTML).decode("utf-8")
    assert f"is at least {t:.2f}" in full and "churn.csv" in full


def test_predict_command_and_predict_script_answer_from_the_threshold(bundles, tmp_path) -> None:
    labels = bundles.run.task.class_labels
    expected = np.where(bundles.p >= bundles.threshold, labels[1], labels[0]).tolist()
    usual = np.where(bundles.p >= 0.5, labels[1], labels[0]).tolist()
    assert expected != usual
    # The bundle's own predict.py, unzipped elsewhere, and the CLI, started together.
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(bundles.other) as archive:
        archive.extractall(folder)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    script = subprocess.Popen(
        [sys.executable, PREDICT_SCRIPT, str(bundles.data), "--out", str(tmp_path / "s.csv")],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    cli = subprocess.Popen(
        [sys.executable, "-m", "core", "predict", str(bundles.other), str(bundles.data)]
        + ["--out", str(tmp_path / "c.csv")],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    outputs = {}
    for name, process in (("script", script), ("cli", cli)):
        outputs[name] = process.communicate(timeout=240)
        assert process.returncode == 0, outputs[name][1]
    assert json.loads(outputs["cli"][0])["decision_threshold"] == bundles.threshold
    for out in ("s.csv", "c.csv"):
        written = pd.read_csv(tmp_path / out, encoding="utf-8-sig", dtype={PREDICTION: str})
        assert written[PREDICTION].tolist() == expected, out
    # In process: the same answers, the threshold in the summary; the original keeps 0.5.
    result = predict_command(bundles.other, bundles.data, tmp_path / "p.csv")
    assert result["decision_threshold"] == bundles.threshold
    original = predict_command(bundles.path, bundles.data, tmp_path / "o.csv")
    assert original["decision_threshold"] == 0.5
    assert pd.read_csv(tmp_path / "o.csv", dtype={PREDICTION: str})[PREDICTION].tolist() == usual


def test_only_a_yes_no_bundle_takes_a_threshold_and_only_a_sensible_one(bundles, tmp_path) -> None:
    with pytest.raises(BundleError, match="between 0.01 and 0.99"):
        bundle_with_threshold(bundles.path, 1.2)
    run = train_run(mixed_frame(240, task="regression"), tiny_recipe("regression"))
    path = tmp_path / "numbers.zip"
    write_bundle(run, path)
    assert "decision_threshold" not in _json(path, SCHEMA_JSON)
    assert "## The yes/no decision" not in _text(path, MODEL_CARD)
    with pytest.raises(BundleError, match="Only a yes/no model"):
        bundle_with_threshold(path, 0.3)


def test_replace_section_keeps_the_other_sections() -> None:
    card = "# Card\n\nIntro.\n\n## A\n\nOne.\n\n## The yes/no decision\n\nOld.\n\n## B\n\nTwo.\n"
    new = replace_section(card, "## The yes/no decision", "## The yes/no decision\n\nNew.")
    assert (
        new
        == "# Card\n\nIntro.\n\n## A\n\nOne.\n\n## The yes/no decision\n\nNew.\n\n## B\n\nTwo.\n"
    )
    older = replace_section("# Card\n\nIntro.\n\n## A\n\nOne.\n", "## X", "## X\n\nAdded.")
    assert older == "# Card\n\nIntro.\n\n## X\n\nAdded.\n\n## A\n\nOne.\n"
