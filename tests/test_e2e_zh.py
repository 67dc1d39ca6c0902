"""The whole journey in Simplified Chinese, in a real headless Chromium (see test_e2e.py).

A browser that prefers Chinese opens the app: every page is drawn in Chinese, the URL says
``?lang=zh``, and the journey (upload, column to predict, design, train, evaluate, export,
predict) works as in English. No page shows an English sentence of the catalog. Screenshots
go to ``test-artifacts/screenshots/zh/``, beside the English ones.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from core.bundle.writer import load_bundle
from core.i18n import gettext
from core.portable.reading import read_table

pytest.register_assert_rewrite("e2e_support")
from e2e_support import (  # noqa: E402
    PROJECT_ROOT,
    AppServer,
    go_to,
    keyed,
    keyed_button,
    open_app,
    report_failures,
    screenshot,
    set_number,
    upload,
    upload_and_choose_target,
    wait_idle,
)
from test_i18n_pages import english_sentences  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
pytest_plugins = ["e2e_support"]

ZH = "zh"
RUN_TIMEOUT_MS = 300_000  # TensorFlow's import, a few epochs, testing and the export
SAMPLES = PROJECT_ROOT / "sample_data"


def zh(key: str, **params: object) -> str:
    """A text of the catalog in Chinese."""
    return gettext(key, ZH, **params)


def assert_no_english(page: Page, step: str) -> None:
    """The page shows none of the catalog's English sentences (core's own still-English
    texts excepted, as in the AppTest check)."""
    wait_idle(page)
    shown = page.locator('[data-testid="stApp"]').inner_text()
    left = [sentence for sentence in english_sentences() if sentence in shown]
    assert left == [], (step, left)


@pytest.fixture()
def churn_300_csv(tmp_path: Path) -> Path:
    """The first 300 customers of the churn sample: a short run."""
    rows = pd.read_csv(SAMPLES / "telco_churn.csv", dtype=str, keep_default_na=False).head(300)
    path = tmp_path / "churn_300.csv"
    rows.to_csv(path, index=False)
    return path


def test_the_whole_journey_in_chinese(
    app_server: AppServer, zh_page: Page, churn_300_csv: Path, tmp_path: Path
) -> None:
    page = zh_page
    rows = len(read_table(churn_300_csv))
    with report_failures(app_server, "journey_zh", page):
        # The browser prefers Chinese: the app follows it and says so in the URL.
        open_app(page, app_server)
        expect(page.get_by_role("heading", name=zh("pages.home.steps"))).to_be_visible()
        expect(page).to_have_url(re.compile(r"[?&]lang=zh"))
        assert_no_english(page, "home")
        screenshot(page, "0_home", ZH)

        # 1. Data.
        go_to(page, "data", ZH)
        using = zh("pages.data.using", name=churn_300_csv.name, rows=rows, columns=20)
        sidebar = page.locator('[data-testid="stSidebar"]')
        predicting = zh("ui.sidebar.target", target="churn").replace("**", "")
        upload_and_choose_target(
            page,
            churn_300_csv,
            "churn",
            read=page.get_by_text(using.replace("**", "")),
            chosen=sidebar.filter(has_text=predicting),
        )
        expect(page.get_by_role("heading", name=zh("ui.columns.profile_header"))).to_be_visible()
        expect(page.get_by_role("heading", name=zh("ui.columns.health_header"))).to_be_visible()
        assert_no_english(page, "data")
        screenshot(page, "1_data_with_profile", ZH)

        # 2. Design: a short run.
        go_to(page, "design", ZH)
        set_number(page, "epochs", 4)
        wait_idle(page)
        expect(page.get_by_role("heading", name=zh("pages.design.diagram"))).to_be_visible()
        assert_no_english(page, "design")
        screenshot(page, "2_design", ZH)

        # 3. Train until the run has a model.
        go_to(page, "train", ZH)
        start = keyed_button(page, "train_start")
        expect(start).to_contain_text(zh("pages.train.start"))
        start.click()
        expect(page).to_have_url(re.compile(r"[?&]job="))
        expect(page.get_by_text(zh("pages.train.to_evaluate"))).to_be_visible(
            timeout=RUN_TIMEOUT_MS
        )
        expect(page).to_have_url(re.compile(r"[?&]lang=zh"))
        assert_no_english(page, "train")
        screenshot(page, "3_train_finished", ZH)

        # 4. Is it any good?
        go_to(page, "evaluate", ZH)
        expect(page.get_by_role("heading", name=zh("pages.evaluate.verdict"))).to_be_visible()
        expect(page.get_by_role("heading", name=zh("pages.evaluate.scores"))).to_be_visible()
        assert_no_english(page, "evaluate")
        screenshot(page, "4_evaluate", ZH)

        # 5. Export: the bundle downloads and predicts.
        go_to(page, "export", ZH)
        button = keyed_button(page, "download_bundle")
        expect(button).to_contain_text(zh("pages.export.bundle"))
        assert_no_english(page, "export")
        screenshot(page, "5_export", ZH)
        with page.expect_download() as download_info:
            button.click()
        bundle_path = tmp_path / "bundle.zip"
        download_info.value.save_as(bundle_path)
        frame = read_table(churn_300_csv)
        predicted = load_bundle(bundle_path).predict(frame)
        assert len(predicted) == rows and predicted["prediction"].notna().all()

        # 6. Predict in the app: the same answers as the exported bundle.
        go_to(page, "predict", ZH)
        upload(page, "predict_upload", churn_300_csv)
        run = keyed_button(page, "predict_run")
        expect(run).to_contain_text(zh("pages.predict.run"))
        run.click()
        download = keyed_button(page, "download_predictions")
        expect(download).to_contain_text(zh("pages.predict.download"), timeout=RUN_TIMEOUT_MS)
        assert_no_english(page, "predict")
        screenshot(page, "6_predict", ZH)
        with page.expect_download() as download_info:
            download.click()
        predictions_path = tmp_path / "predictions.csv"
        download_info.value.save_as(predictions_path)
        downloaded = pd.read_csv(predictions_path, dtype=str, keep_default_na=False)
        assert downloaded["prediction"].tolist() == predicted["prediction"].astype(str).tolist()

        # Back to English with the switch: the page and the URL follow.
        keyed(page, "language").get_by_role("button", name="Open").click()
        page.get_by_role("option", name="English", exact=True).click()
        expect(page.get_by_role("heading", name="6. Predict").first).to_be_visible()
        expect(page).to_have_url(re.compile(r"[?&]lang=en"))
