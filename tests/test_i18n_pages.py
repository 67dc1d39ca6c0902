"""The app in Simplified Chinese: every page rendered with ``?lang=zh`` (AppTest) shows no
English sentence from the catalog, the switch brings English back, and the language is
chosen from the URL, the session, then the browser, in that order."""

from __future__ import annotations

import ast
import functools
import json
import re
import string
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import test_pages
from helpers import jid
from streamlit.testing.v1 import AppTest
from test_pages import (
    APP,
    PAGES,
    TIMEOUT,
    classification_result,
    finished_run,
    go,
    job_status,
    no_exception,
    open_app,
    regression_result,
    with_sample,
)
from test_runs_page import add_run, select

from core import i18n
from core.i18n import DEFAULT_LANGUAGE, catalog, gettext
from core.model.recipe import Recipe
from ui.language import LANGUAGE_KEY, preferred_language

runner = test_pages.runner  # the page tests' fake job runner, a fixture
MIN_WORDS = 4  # shorter English fragments ("Adam", "ReLU", "F1 score") may stay as they are
CORE = Path(__file__).resolve().parent.parent / "core"


def core_english() -> str:
    """Every string literal core still writes in Python (not yet moved into a catalog).

    Core's own texts are translated in core's catalogs; while one is still an English literal
    in core, a catalog sentence it happens to repeat is not counted against the page. Once
    core's text moves into a catalog it leaves this set by itself, and the check covers it.
    """
    literals = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.append(node.value)
    return "\n".join(literals)


@functools.cache
def english_sentences() -> tuple[str, ...]:
    """The fixed stretches of every English text that Chinese says differently: the parts
    between placeholders, markdown marks and code, at least ``MIN_WORDS`` words long."""
    english, chinese = catalog("en"), catalog("zh")
    still_in_core = core_english()
    found: set[str] = set()
    for key, text in english.items():
        translated = chinese.get(key, "")
        for piece in _pieces(text):
            if piece not in translated and piece not in still_in_core:
                found.add(piece)
    return tuple(sorted(found))


def _pieces(text: str) -> list[str]:
    text = re.sub(r"`[^`]*`", " ", text.replace("{{", "(").replace("}}", ")"))
    pieces = []
    for literal, *_ in string.Formatter().parse(text):
        for piece in re.split(r"[*_\n<>]|%\{[^}]*\}", literal):
            piece = piece.strip(" .,:;()'\"-")
            if len(piece.split()) >= MIN_WORDS:
                pieces.append(piece)
    return pieces


def shown_text(app: AppTest) -> list[str]:
    """Every piece of text the page shows: element values, labels, help, captions, options."""
    texts: list[str] = []

    def visit(node: object) -> None:
        proto = getattr(node, "proto", None)
        for name in ("value", "label", "help", "placeholder", "body", "caption"):
            value = getattr(node, name, None)
            if isinstance(value, str):
                texts.append(value)
        for name in ("options",):
            value = getattr(node, name, None)
            if isinstance(value, (list, tuple)):
                texts.extend(str(v) for v in value)
        if proto is not None:
            for name in ("label", "help", "body", "placeholder", "spec", "figure"):
                value = getattr(proto, name, None)
                if isinstance(value, str):
                    texts.append(value)
                elif value is not None and hasattr(value, "spec"):
                    texts.append(value.spec)
        for child in getattr(node, "children", {}).values() if hasattr(node, "children") else []:
            visit(child)

    visit(app._tree)
    return texts


def english_left(app: AppTest) -> list[str]:
    """The catalog's English sentences the rendered page still shows."""
    text = "\n".join(shown_text(app))
    return [sentence for sentence in english_sentences() if sentence in text]


@pytest.fixture
def chinese() -> Iterator[None]:
    """Chinese outside the script too: AppTest calls a widget's format_func again from the
    test's thread (to find the chosen option), where no session provides a language."""
    i18n.set_language("zh")
    yield
    i18n.set_language(DEFAULT_LANGUAGE)


def zh_app(query: dict | None = None) -> AppTest:
    return open_app({"lang": "zh", **(query or {})})


def assert_all_chinese(app: AppTest, page: str) -> None:
    no_exception(app)
    assert app.session_state[LANGUAGE_KEY] == "zh", page
    assert english_left(app) == [], page


ROOT = CORE.parent


def test_the_app_keeps_no_english_text_table() -> None:
    # A module-level table of English texts (TEXT = {...}) is never translated: the app's texts
    # are read from the catalogs with Texts(prefix). This catches one brought back by a merge.
    tables = []
    for path in [
        ROOT / "app.py",
        *sorted((ROOT / "app_pages").glob("*.py")),
        *sorted((ROOT / "ui").glob("*.py")),
    ]:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if (
                isinstance(target, ast.Name)
                and target.id.endswith(("TEXT", "PAGE"))
                and isinstance(node.value, ast.Dict)
            ):
                tables.append(f"{path.relative_to(ROOT)}:{node.lineno} {target.id}")
    assert not tables, f"move these into core/i18n/locales/*/ (pages.po, ui.po): {tables}"


# --- pages in Chinese ----------------------------------------------------------------------


def test_the_check_finds_english_when_a_page_is_in_english(runner):
    # The check itself can fail: the same page in English shows the catalog's sentences.
    app = open_app({"lang": "en"})
    go(app, "data")
    assert len(english_left(app)) >= 2


@pytest.mark.parametrize("page", [*PAGES, "learn"])
def test_a_page_without_data_shows_no_english_sentence_in_chinese(runner, chinese, page):
    app = zh_app()
    go(app, page)
    assert_all_chinese(app, page)
    assert app.title[0].value == gettext(f"pages.{page}.title", "zh")


def test_pictures_drawn_for_an_english_visitor_are_not_shown_to_a_chinese_one(runner, chinese):
    # The Learn page's pictures are cached for the whole server: one English visit first must
    # not leave English chart titles and legends for everyone after (CI caught exactly that).
    go(open_app({"lang": "en"}), "learn")
    app = zh_app()
    go(app, "learn")
    assert_all_chinese(app, "learn")


def test_every_page_with_data_and_a_finished_run_is_in_chinese(runner, chinese, tmp_path):
    job_id = finished_run(runner, classification_result(), tmp_path)
    app = with_sample(zh_app({"job": job_id}))
    for page in PAGES:
        go(app, page)
        assert_all_chinese(app, page)


def glossary_english() -> list[str]:
    """The fixed stretches of the glossary's English texts, as the Learn page shows them."""
    from core.glossary import GLOSSARY

    fields = ("title", "short", "explanation", "formula_note", "example")
    texts = [getattr(entry, name) or "" for entry in GLOSSARY.values() for name in fields]
    return [piece for text in texts for piece in _pieces(text)]


@pytest.mark.parametrize(("code", "expected"), [("zh", 0), ("en", 100)])
def test_the_learn_page_shows_the_whole_glossary_in_the_chosen_language(
    runner, chinese, code, expected
):
    # The glossary's English is still the source in core/glossary (and so is left out of
    # english_sentences()): this check reads it from the entries themselves.
    i18n.set_language(code)
    app = go(open_app({"lang": code}), "learn")
    no_exception(app)
    text = "\n".join(shown_text(app))
    shown = [piece for piece in glossary_english() if piece in text]
    assert len(shown) >= expected if expected else shown == []
    if code == "zh":
        for term in ("过拟合", "随机梯度下降", "独热编码", "交叉熵", "均方误差", "召回率"):
            assert term in text, term


def test_a_regression_run_is_in_chinese_too(runner, chinese, tmp_path):
    job_id = finished_run(runner, regression_result(), tmp_path)
    app = with_sample(zh_app({"job": job_id}), "diamonds.csv")
    for page in ("data", "evaluate", "predict", "runs"):
        go(app, page)
        assert_all_chinese(app, page)


def test_switching_back_shows_english_and_the_url_follows(runner, chinese):
    app = zh_app()
    go(app, "data")
    assert app.title[0].value == gettext("pages.data.title", "zh")
    i18n.set_language(DEFAULT_LANGUAGE)  # the test's thread reads English again
    app.selectbox(key=LANGUAGE_KEY).set_value("en").run()
    no_exception(app)
    assert app.title[0].value == gettext("pages.data.title", "en") == "1. Your data"
    assert app.query_params["lang"] == "en"
    assert len(english_left(app)) >= 2


def test_a_live_run_and_its_last_steps_are_in_chinese(runner, chinese):
    runner.statuses[jid("live")] = job_status(jid("live"), "running", epoch=3)
    tail = job_status(jid("tail"), "running", epoch=4)
    runner.statuses[jid("tail")] = replace(tail, step="packaging", step_done=2, step_total=4)
    for job_id in (jid("live"), jid("tail")):
        app = go(zh_app({"job": job_id}), "train")
        assert_all_chinese(app, job_id)
        assert gettext("ui.train_view.progress", "zh", epoch=3, max_epochs=50)[:1] == "第"


def bundle_with_its_files(path: Path, result) -> bytes:
    """A bundle with the files a model card is written from (no model: none is loaded)."""
    import zipfile

    import pandas as pd

    from core.bundle.card import render_model_card
    from core.bundle.layout import METRICS_JSON, MODEL_CARD, RECIPE_JSON, SCHEMA_JSON
    from core.bundle.translation import StoredRun
    from core.data.profile_types import TaskInfo
    from core.portable.preprocess import Preprocessor

    frame = pd.DataFrame({"tenure": [1.0, 5.0, 9.0, 30.0], "plan": ["a", "b", "a", "b"]})
    columns = {"tenure": "numeric", "plan": "categorical"}
    preprocessor = Preprocessor.fit(frame, columns, {"min_category_count": 1})
    recipe = Recipe(target="churn")
    task = TaskInfo("binary", "churn", list(result.class_labels))
    schema = {
        "task": "binary",
        "target": "churn",
        "class_labels": task.class_labels,
        "preprocessor": preprocessor.to_dict(),
        "input_columns": [{"name": n, "kind": k} for n, k in columns.items()],
    }
    run = StoredRun(recipe, task, preprocessor, result, {})
    files = sorted([METRICS_JSON, MODEL_CARD, RECIPE_JSON, SCHEMA_JSON, "predict.py"])
    card = render_model_card(run, files=files, left_out={}, language_code="en")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(SCHEMA_JSON, json.dumps(schema))
        archive.writestr(RECIPE_JSON, recipe.to_json())
        archive.writestr(METRICS_JSON, json.dumps({"formats": {}}))
        archive.writestr(MODEL_CARD, card)
        archive.writestr("predict.py", "print('the rest of the bundle')\n")
    return path.read_bytes()


def test_the_export_page_hands_out_the_bundle_and_card_in_the_readers_language(
    runner, chinese, tmp_path
):
    import io
    import zipfile

    from core.bundle.card import card_language
    from core.bundle.layout import MODEL_CARD
    from core.jobs.runner import BUNDLE_FILE
    from ui.bundle_language import bundle_bytes

    result = classification_result()
    job_id = finished_run(runner, result, tmp_path)
    bundle = tmp_path / "bundle.zip"
    original = bundle_with_its_files(bundle, result)
    assert runner.artifacts[(job_id, BUNDLE_FILE)] == bundle
    app = go(zh_app({"job": job_id}), "export")
    assert_all_chinese(app, "export")
    preview = [m.value for m in app.markdown if str(m.value).startswith("# ")]
    assert preview and card_language(preview[0]) == "zh", "the card shown is Chinese"
    assert preview[0].startswith("# 模型说明：预测“churn”")
    # The bundle's button hands out the same card inside the zip; nothing else changes.
    with i18n.language("zh"):
        payload = bundle_bytes(job_id, bundle, result)()
    with zipfile.ZipFile(io.BytesIO(payload)) as copy, zipfile.ZipFile(bundle) as source:
        assert copy.namelist() == source.namelist()
        assert copy.read("predict.py") == source.read("predict.py")
        assert copy.read(MODEL_CARD).decode("utf-8").strip() == preview[0].strip()
    with i18n.language("en"):
        assert bundle_bytes(job_id, bundle, result)() == original


def test_opened_and_compared_runs_are_in_chinese(runner, chinese, tmp_path):
    add_run(runner, tmp_path, "a", Recipe(target="churn"))
    add_run(runner, tmp_path, "b", Recipe(target="churn", drop_columns=["tenure"]))
    app = go(zh_app(), "runs")
    assert_all_chinese(app, "runs table")
    for rows in ([0], [0, 1]):
        select(app, rows)
        assert_all_chinese(app, f"runs {rows}")
    headings = [s.value for s in app.main.subheader]
    assert gettext("ui.compare.settings", "zh") in headings


# --- which language: URL, then session, then browser, then English ----------------------


@pytest.mark.parametrize(
    ("url", "chosen", "browser", "expected"),
    [
        ("zh", "en", "en-US", "zh"),  # a link or bookmark wins
        ("en", "zh", "zh-CN", "en"),
        (None, "zh", "en-US", "zh"),  # the session's choice beats the browser
        ("fr", "zh", None, "zh"),  # an unknown URL value is ignored
        (None, None, "zh-Hans-CN", "zh"),  # the browser's preferred language
        (None, None, "fr-FR", "en"),  # a language Trainboard has not: English
        (None, None, None, "en"),
    ],
)
def test_the_language_comes_from_url_then_session_then_browser(url, chosen, browser, expected):
    assert preferred_language(url, chosen, browser) == expected


def test_the_browser_language_is_used_without_a_url_and_written_to_it(runner, chinese):
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.context["locale"] = "zh-CN"
    app.run()
    no_exception(app)
    assert app.session_state[LANGUAGE_KEY] == "zh"
    assert app.title[0].value == gettext("pages.home.title", "zh")
    assert app.get("page_link") or app.button(key="get_started").label == gettext(
        "pages.home.get_started", "zh"
    )
    assert app.query_params["lang"] == "zh"


def test_the_url_beats_the_browser(runner):
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.context["locale"] = "zh-CN"
    app.query_params["lang"] = "en"
    app.run()
    no_exception(app)
    assert app.session_state[LANGUAGE_KEY] == "en"
    assert app.button(key="get_started").label == "Get started"


def test_the_session_keeps_its_language_across_pages(runner, chinese):
    app = zh_app()
    go(app, "learn")
    app.query_params.pop("lang", None)  # a page change drops the query string
    go(app, "train")
    no_exception(app)
    assert app.session_state[LANGUAGE_KEY] == "zh"
    assert app.title[0].value == gettext("pages.train.title", "zh")
    assert app.query_params["lang"] == "zh"  # and the URL says so again


def test_numbers_are_written_the_same_way_in_both_locales() -> None:
    # Texts format numbers with Python's "{rows:,}" / "{share:.0%}": right for both languages,
    # because Chinese (zh_Hans_CN) groups thousands with "," and writes decimals with "." and
    # percentages as "12%", exactly as English does. A language that writes them otherwise
    # must format through Babel instead; this test is where that would show.
    from babel import numbers

    for code in i18n.LANGUAGES:
        locale = i18n.BABEL_LOCALES[code]
        assert numbers.format_decimal(1234567.5, locale=locale) == f"{1234567.5:,}"
        assert numbers.format_percent(0.12, locale=locale) == f"{0.12:.0%}"
