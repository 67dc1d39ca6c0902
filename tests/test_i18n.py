"""The message catalogs and the current language (core/i18n)."""

from __future__ import annotations

import threading

import pytest

from core import i18n
from core.i18n import LANGUAGES, Message, Texts, catalog, gettext, language, normalise_language


def test_every_language_has_exactly_the_keys_of_english() -> None:
    english = set(catalog("en"))
    assert english, "the English catalog is empty"
    for code in LANGUAGES:
        keys = set(catalog(code))
        assert not english - keys, f"{code}: missing {sorted(english - keys)[:10]}"
        assert not keys - english, f"{code}: extra {sorted(keys - english)[:10]}"
        empty = sorted(k for k, text in catalog(code).items() if not text.strip())
        assert not empty, f"{code}: keys without a text {empty[:10]}"


def test_a_text_keeps_the_placeholders_of_its_english_source() -> None:
    import string

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = catalog("en")
    for code in LANGUAGES:
        for key, text in catalog(code).items():
            assert fields(text) == fields(english[key]), f"{code}: {key} has other fields"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh_Hans_CN", "zh"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_browser_and_url_language_codes_are_read(given: object, expected: str | None) -> None:
    assert normalise_language(given) == expected


def test_the_current_language_comes_from_a_block_then_the_provider_then_the_process() -> None:
    texts = Texts("core.i18n")
    assert texts["switch_label"] == "Language"
    i18n.set_language_provider(lambda: "zh")
    try:
        assert texts["switch_label"] == "语言"
        with language("en"):
            assert texts["switch_label"] == "Language"
        assert texts["switch_label"] == "语言"
    finally:
        i18n.set_language_provider(None)
    assert gettext("core.i18n.switch_label") == "Language"


def test_a_block_is_local_to_its_thread() -> None:
    seen: list[str] = []
    with language("zh"):
        worker = threading.Thread(target=lambda: seen.append(i18n.current_language()))
        worker.start()
        worker.join()
        assert i18n.current_language() == "zh"
    assert seen == ["en"]


def test_unknown_keys_and_languages_are_refused() -> None:
    with pytest.raises(KeyError):
        Texts("core.i18n")["no_such_text"]
    with pytest.raises(ValueError, match="unknown language"):
        i18n.set_language("fr")


def test_a_message_round_trips_and_renders_in_any_language() -> None:
    message = Message("core.i18n.switch_label")
    again = Message.from_dict(message.to_dict())
    assert again == message
    assert again.render("zh") == "语言" and again.render("en") == "Language"


def test_a_group_of_keys_reads_like_a_nested_table() -> None:
    # ui.sidebar.phases.* is a group: TEXT["phases"] is its own Texts, in the current language.
    phases = Texts("ui.sidebar")["phases"]
    assert isinstance(phases, Texts) and "waiting" in phases and "finished" in phases
    assert phases["finished"] == "finished"
    assert dict(phases.items())["failed"] == "failed"
    with language("zh"):
        assert phases["finished"] == "已完成"
    with pytest.raises(KeyError):
        Texts("ui.sidebar")["phase"]  # a prefix of a group's name is not the group
