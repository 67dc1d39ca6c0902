"""Core's messages in Simplified Chinese: the training doctor, the verdict, how a run ended,
and text stored in English that is read back in Chinese."""

from __future__ import annotations

import re
import string
from functools import cache

import pytest
from test_diagnosis import RECIPE, all_findings, comparison, healthy_curves, history

from core.i18n import Message, catalog, language
from core.model.diagnosis import Diagnosis, diagnose
from core.results import RunResult


@cache
def english_sentences() -> frozenset[str]:
    """Every run of three or more English words in the English catalog's texts."""
    found = set()
    for text in catalog("en").values():
        text = re.sub(r"`[^`]*`", " ", text)  # code (file names, commands) is not English
        for literal, *_ in string.Formatter().parse(text):
            for piece in re.split(r"[()\[\].,:;!?\"'“”→]", literal or ""):
                words = piece.split()
                if len(words) >= 3 and any(w.isalpha() and len(w) > 2 for w in words):
                    found.add(" ".join(words))
    return frozenset(found)


def assert_chinese(text: str, *terms: str) -> None:
    """``text`` holds each of ``terms`` and no English sentence from the English catalog."""
    for term in terms:
        assert term in text, f"{term!r} not in {text!r}"
    flat = " ".join(text.split())
    leaked = [s for s in english_sentences() if s in flat]
    assert not leaked, f"English left in {text!r}: {leaked[:3]}"


# What each diagnosis must say in the words Chinese ML material uses.
EXPECTED_TERMS = {
    "overfitting": ("过拟合", "验证集", "训练集"),
    "underfitting": ("欠拟合",),
    "diverged": ("发散", "学习率"),
    "oscillating": ("学习率", "批量大小"),
    "plateau": ("早停",),
    "no_better_than_baseline": ("逻辑回归", "简单模型"),
    "healthy": ("验证集",),
    "validation_below_training": ("验证集", "训练集"),
}


def every_diagnosis() -> dict[str, Diagnosis]:
    found = {d.code: d for d in all_findings(RECIPE)}
    found.update(
        {
            d.code: d
            for d in diagnose(
                history(*healthy_curves()),
                RECIPE,
                stopped_because="completed",
                comparison=comparison(0.9, 0.7),
            )
        }
    )
    train, _ = healthy_curves()
    below = diagnose(history(train, train * 0.85), RECIPE, stopped_because="early_stopped")
    found.update({d.code: d for d in below if d.code == "validation_below_training"})
    return found


def test_every_diagnosis_reads_in_chinese() -> None:
    found = every_diagnosis()
    assert set(EXPECTED_TERMS) <= set(found), sorted(found)
    with language("zh"):
        for code, terms in EXPECTED_TERMS.items():
            diagnosis = found[code]
            assert_chinese(diagnosis.title + diagnosis.message, *terms)
            for fix in diagnosis.fixes:
                assert_chinese(fix.label)
    # The same objects still read in English outside the block.
    assert found["overfitting"].title == "The network is memorising the training rows"


def test_a_diagnosis_stored_in_english_reads_in_chinese() -> None:
    made = every_diagnosis()["overfitting"]
    stored = made.to_dict()  # what result.json holds, written by an English job process
    assert stored["message"].startswith("Since pass")
    again = Diagnosis.from_dict(stored)
    with language("zh"):
        assert_chinese(again.message, "过拟合")
        assert again.fixes and "Dropout" in again.fixes[0].label
        assert again.fixes[0].label == "加大 Dropout（0.5）"


def test_a_diagnosis_stored_before_languages_keeps_its_text() -> None:
    old = {"code": "plateau", "severity": "warning", "title": "Old title", "message": "Old text."}
    again = Diagnosis.from_dict(old)
    with language("zh"):
        assert (again.title, again.message) == ("Old title", "Old text.")
    assert Diagnosis.from_dict(again.to_dict()).message == "Old text."


VERDICT_BASELINES = {
    "majority class": {"accuracy": 0.70, "roc_auc": 0.5, "confusion_matrix": [[70, 0], [30, 0]]},
    "logistic regression": {
        "accuracy": 0.76,
        "roc_auc": 0.84,
        "confusion_matrix": [[60, 10], [14, 16]],
    },
}


@pytest.mark.parametrize(
    ("auc", "terms"),
    [(0.90, ("准确率", "逻辑回归", "而且优于")), (0.78, ("准确率", "逻辑回归", "但简单的"))],
)
def test_the_verdict_reads_in_chinese(auc: float, terms: tuple[str, ...]) -> None:
    from core.evaluation.verdict import verdict, verdict_message

    network = {"accuracy": 0.79, "roc_auc": auc}
    message = verdict_message("binary", network, VERDICT_BASELINES, ["No", "Yes"])
    assert message.render("en") == verdict("binary", network, VERDICT_BASELINES, ["No", "Yes"])
    assert message.render("en").startswith("Better than always guessing 'No'")
    with language("zh"):
        text = verdict("binary", network, VERDICT_BASELINES, ["No", "Yes"])
    assert_chinese(text, *terms, "“No”", "9 个百分点")
    # Kept as data, it comes back and renders the same.
    assert Message.from_dict(message.to_dict()).render("zh") == text


def test_a_verdict_without_the_constant_baseline_starts_with_a_capital() -> None:
    from core.evaluation.verdict import verdict

    baselines = {"linear regression": {"mae": 13.0, "r2": None}}
    sentence = verdict("regression", {"mae": 12.93, "r2": 0.72}, baselines, [])
    assert sentence.startswith("Better than a simple linear regression (typical error 12.9")
    with language("zh"):
        assert_chinese(verdict("regression", {"mae": 12.93, "r2": 0.72}, baselines, []), "线性回归")


def stored_result(**changes: object) -> RunResult:
    from core.evaluation.verdict import verdict_message

    said = verdict_message(
        "binary", {"accuracy": 0.79, "roc_auc": 0.9}, VERDICT_BASELINES, ["No", "Yes"]
    )
    ended = Message("core.model.training.completed", {"epochs": 12, "best": 9})
    values = {
        "task": "binary",
        "target": "churn",
        "class_labels": ["No", "Yes"],
        "primary_metric": "roc_auc",
        "metrics": {"accuracy": 0.79, "roc_auc": 0.9},
        "baselines": VERDICT_BASELINES,
        "verdict": said.render("en"),
        "feature_importance": [],
        "epochs_run": 12,
        "best_epoch": 9,
        "stopped_because": "completed",
        "message": ended.render("en"),
        "texts": {"verdict": said.to_dict(), "message": ended.to_dict()},
    }
    values.update(changes)
    return RunResult(**values)


def test_a_stored_result_reads_in_the_readers_language() -> None:
    stored = RunResult.from_dict(stored_result().to_dict())
    assert stored.verdict.startswith("Better than always guessing")  # kept in English
    assert stored.verdict_text == stored.verdict
    with language("zh"):
        assert_chinese(stored.verdict_text, "逻辑回归")
        assert_chinese(stored.message_text, "第 9 轮")


def test_an_older_result_without_messages_still_reads() -> None:
    document = stored_result().to_dict()
    del document["texts"]
    older = RunResult.from_dict(document)
    with language("zh"):
        assert older.verdict_text == document["verdict"]
        assert older.message_text == document["message"]


# --- the data check ---------------------------------------------------------------------------


def test_the_settings_named_in_warnings_are_the_recipes_labels() -> None:
    from core.model.fields import field_specs
    from core.model.recipe import Recipe

    every_label = {spec.label for spec in field_specs(Recipe)}
    for name in ("setting_drop", "setting_test", "setting_validation", "setting_balance"):
        named = catalog("en")[f"core.data.health.{name}"]
        assert named.strip('"') in every_label, named


def test_health_warnings_read_in_chinese_and_stored_ones_follow_the_reader() -> None:
    import numpy as np
    import pandas as pd

    from core.data.profiling import profile_table

    rng = np.random.default_rng(7)
    n = 300
    usage = rng.normal(50, 15, n)
    frame = pd.DataFrame(
        {
            "usage": usage.round(1),
            "plan": rng.choice(["basic", "plus"], n),
            "fraud": ["Yes" if i % 50 == 0 else "No" for i in range(n)],
            "age": [("unknown" if i % 40 == 0 else str(20 + i % 50)) for i in range(n)],
        }
    )
    frame.loc[frame.index[:200], "usage"] = np.nan
    profile = profile_table(frame, "fraud", test_fraction=0.1)
    found = {w.code: w for w in profile.warnings}
    assert {"class_imbalance", "many_missing", "small_test_set", "mostly_numbers"} <= set(found)
    expected = {
        "class_imbalance": ("“Yes”", "“平衡少见的结果”"),
        "many_missing": ("“usage”", "为空"),
        "small_test_set": ("测试集", "“用于最终测试的行”"),
        "mostly_numbers": ("第 1 行：“unknown”", "个单元格"),
    }
    with language("zh"):
        for code, terms in expected.items():
            assert_chinese(found[code].message, *terms)
    # A warning kept in a run's result (written by an English job) reads in Chinese.
    stored = stored_result(
        warnings=[w.text.render("en") for w in profile.warnings],
        texts={"warnings": [w.text.to_dict() for w in profile.warnings]},
    )
    again = RunResult.from_dict(stored.to_dict())
    assert again.warning_texts == again.warnings
    with language("zh"):
        for text in again.warning_texts:
            assert_chinese(text)


def test_a_leak_warning_reads_in_chinese() -> None:
    import numpy as np
    import pandas as pd

    from core.data.profiling import profile_table

    rng = np.random.default_rng(5)
    n = 600
    income = rng.lognormal(10, 0.5, n)
    granted = np.where(rng.random(n) < 1 / (1 + np.exp(-(np.log(income) - 10) / 0.5)), "yes", "no")
    frame = pd.DataFrame({"income": income.round(0), "granted": granted})
    frame["status_code"] = frame["granted"].map({"yes": "G1", "no": "R0"})
    profile = profile_table(frame, "granted")
    (leak,) = [w for w in profile.warnings if w.code == "leakage"]
    assert "Columns to leave out" in leak.message
    with language("zh"):
        assert_chinese(leak.message, "“status_code”", "“不参与训练的列”", "失效")


def test_the_small_test_warning_is_stored_in_english_and_read_in_chinese() -> None:
    import numpy as np

    from core.evaluation.intervals import measure_uncertainty, small_test_advice

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    outputs = np.clip(y * 0.6 + rng.random(40) * 0.4, 0, 1)
    noise = measure_uncertainty("binary", y, np.c_[1 - outputs, outputs], {}, ["n", "y"], seed=0)
    stored = noise.to_dict()
    assert stored["warning"].startswith("The final test has only 40 rows")
    assert noise.advice == stored["warning"]
    with language("zh"):
        assert_chinese(small_test_advice(stored), "最终测试集只有 40 行", "“用于最终测试的行”")
    older = {k: v for k, v in stored.items() if k != "warning_message"}
    with language("zh"):
        assert small_test_advice(older) == stored["warning"]


def test_measure_names_follow_the_language() -> None:
    from core.evaluation.measures import METRIC_LABELS, metric_label

    assert METRIC_LABELS["f1"][0] == "F1 score" and metric_label("recall") == "Recall"
    with language("zh"):
        names = {key: label for key, (label, _) in METRIC_LABELS.items()}
        assert (names["accuracy"], names["precision"], names["recall"]) == (
            "准确率",
            "精确率",
            "召回率",
        )
        assert names["f1"] == "F1 值" and "交叉熵" in names["log_loss"]


def test_choice_labels_are_the_tables_own_in_english_and_chinese_in_chinese() -> None:
    from core.model.choices import (
        ACTIVATIONS,
        CLASS_WEIGHTS,
        NUMBER_EMBEDDINGS,
        OPTIMIZERS,
        choice_label,
    )
    from core.portable.choices import CATEGORICAL_MISSING, ENCODINGS, NUMERIC_MISSING, SCALINGS

    tables = {
        "optimizer": OPTIMIZERS,
        "activation": ACTIVATIONS,
        "class_weight": CLASS_WEIGHTS,
        "numeric_missing": NUMERIC_MISSING,
        "categorical_missing": CATEGORICAL_MISSING,
        "scaling": SCALINGS,
        "encoding": ENCODINGS,
        "number_embedding": NUMBER_EMBEDDINGS,
    }
    for setting, table in tables.items():
        for value, choice in table.items():
            assert catalog("en")[f"core.choices.{setting}.{value}"] == choice.label
            assert choice_label(setting, value, choice.label) == choice.label
    with language("zh"):
        assert choice_label("encoding", "onehot", "x") == "每个类别一个输入（独热编码）"
        assert "随机梯度下降" in choice_label("optimizer", "sgd", "x")


def test_task_words_are_the_specs_own() -> None:
    from core.model.tasks import TASKS

    for spec in TASKS.values():
        assert catalog("en")[f"core.model.tasks.describe_{spec.name}"] == spec.description
        with language("zh"):
            assert_chinese(spec.describe(3), "预测")


def test_numbers_use_the_marks_of_the_language() -> None:
    from babel.numbers import format_decimal

    from core.evaluation.formatting import format_number

    with language("zh"):
        assert format_number(12345.6) == format_decimal(12346, locale="zh_Hans_CN") == "12,346"
        assert format_number(0.1234, "percent") == "12.3%"


def test_the_report_of_a_stored_run_reads_in_chinese() -> None:
    from core.model.recipe import Recipe
    from core.report import ReportRun, run_report

    made = every_diagnosis()["overfitting"]
    stored = stored_result(diagnosis=[made.to_dict()]).to_dict()
    stored["metrics"] = {}  # no charts needed: the sentences are what is checked
    run = ReportRun.from_result(stored, Recipe(target="churn"))
    english = run_report(run)
    assert '<html lang="en">' in english and "The network is memorising" in english
    with language("zh"):
        page = run_report(run)
    assert '<html lang="zh-Hans">' in page
    for term in ("一句话结论", "网络在死记训练集（过拟合）", "训练诊断", "报告生成于"):
        assert term in page, term
    assert "The network is memorising" not in page and "In one sentence" not in page


def test_glossary_titles_and_summaries_read_in_chinese() -> None:
    from core import glossary
    from core.glossary import GLOSSARY, SECTION_TITLES, Section, Term, get_entry

    facts = glossary._FACTS
    for term, entry in GLOSSARY.items():
        assert catalog("en")[f"core.glossary.{term.value}.title"] == entry.title
        assert catalog("en")[f"core.glossary.{term.value}.short"].format_map(facts) == entry.short
        for name in ("explanation", "formula_note", "example"):
            english = getattr(entry, name)
            key = f"core.glossary.{term.value}.{name}"
            if english:
                assert catalog("en")[key].format_map(facts) == english, key
            else:
                assert key not in catalog("en"), key
    assert get_entry(Term.OVERFITTING).title == "Overfitting and underfitting"
    with language("zh"):
        assert get_entry(Term.OVERFITTING).title == "过拟合与欠拟合"
        assert get_entry(Term.LEARNING_RATE).title == "学习率"
        assert get_entry(Term.ONE_HOT).title == "独热编码"
        assert "随机梯度下降" in get_entry(Term.OPTIMIZER).title
        assert_chinese(get_entry(Term.CROSS_ENTROPY).short, "损失函数")
        assert SECTION_TITLES[Section.DATA] == "准备数据"
        assert glossary.search("过拟合")[0].id == Term.OVERFITTING
        # The longer texts too, with the app's own defaults filled in.
        splits = get_entry(Term.DATA_SPLITS)
        assert_chinese(splits.explanation, "训练集", "验证集", "测试集")
        assert f"{facts['test_percent']}%" in splits.explanation
        assert_chinese(get_entry(Term.OPTIMIZER).explanation, "梯度下降", "随机梯度下降")
        assert_chinese(get_entry(Term.PRECISION_RECALL).example or "", "精确率", "召回率")
        assert_chinese(get_entry(Term.SCALING).formula_note or "", "标准差")
        for entry in glossary.search(""):  # (the examples are mostly sums, "MAE = 2")
            assert_chinese(entry.explanation + (entry.formula_note or ""))


def test_recipe_settings_read_in_chinese_and_their_english_is_the_recipes() -> None:
    from core.model.fields import CHOICE_SETTINGS, field_specs, spec_for
    from core.model.recipe import LayerConfig, Recipe

    specs = field_specs(Recipe) + field_specs(LayerConfig, prefix="layer.")
    for spec in specs:
        assert catalog("en")[f"core.recipe.{spec.path}.label"] == spec.label
        assert catalog("en")[f"core.recipe.{spec.path}.help"] == spec.help
        table = CHOICE_SETTINGS.get(spec.path)
        for value, text in (spec.choice_help or {}).items():
            assert catalog("en")[f"core.choices.{table}.{value}.help"] == text
    assert {s.path for s in specs if s.choices} == set(CHOICE_SETTINGS)
    with language("zh"):
        assert spec_for("training.learning_rate").label == "学习率（留空 = 自动）"
        assert spec_for("training.batch_size").label.startswith("批量大小")
        encoding = spec_for("preprocessing.categorical_encoding")
        assert "独热编码" in encoding.choices["onehot"] and "独热编码" in encoding.full_help
        for spec in field_specs(Recipe):
            assert_chinese(spec.label + spec.full_help)


def test_picture_captions_read_in_chinese() -> None:
    from core.glossary import illustration_caption
    from core.glossary.terms import ILLUSTRATION_CAPTIONS, Illustration

    for picture, text in ILLUSTRATION_CAPTIONS.items():
        assert catalog("en")[f"core.glossary.caption.{picture.value}"] == text
    with language("zh"):
        assert_chinese(illustration_caption(Illustration.LOSS_CURVES), "早停", "耐心值")


def test_a_bundle_the_app_cannot_use_is_explained_in_chinese(tmp_path) -> None:
    import zipfile

    from core.bundle.loading import check_schema, load_extracted
    from core.bundle.safety import check_entries, open_archive
    from core.errors import BundleError

    link = tmp_path / "link.zip"
    with zipfile.ZipFile(link, "w") as archive:
        entry = zipfile.ZipInfo("../escape.txt")
        archive.writestr(entry, "x")
    with language("zh"):
        with pytest.raises(BundleError) as not_zip:
            open_archive(b"this is no zip")
        assert_chinese(str(not_zip.value), "不是 zip 压缩包", "bundle.zip")
        with pytest.raises(BundleError) as outside, open_archive(link) as archive:
            check_entries(archive)
        assert_chinese(str(outside.value), "“../escape.txt”", "导出包文件夹之外")
        with pytest.raises(BundleError) as incomplete:
            load_extracted(tmp_path, [])
        assert_chinese(str(incomplete.value), "不完整", "schema.json")
        with pytest.raises(BundleError) as version:
            check_schema({"bundle_format": 0})
        assert_chinese(str(version.value), "格式版本")
    with pytest.raises(BundleError, match="not a zip archive"):
        open_archive(b"this is no zip")


def test_the_command_lines_help_is_in_the_language_lang_names(capsys) -> None:
    from core import cli
    from core.i18n import DEFAULT_LANGUAGE, set_language

    try:
        for argv in (["train", "--help", "--lang", "zh"], ["--lang=zh", "tune", "--help"]):
            with pytest.raises(SystemExit) as done:
                cli.main(argv)
            assert done.value.code == 0
            shown = capsys.readouterr().out
            assert "随机种子" in shown and "random seed" not in shown, shown
        set_language(DEFAULT_LANGUAGE)
        with pytest.raises(SystemExit):
            cli.main(["train", "--help"])
        assert "random seed (overrides the recipe)" in capsys.readouterr().out
    finally:
        set_language(DEFAULT_LANGUAGE)
