"""One markdown escaper for the app and the model card: user text never becomes markup."""

from __future__ import annotations

import pytest

from core.markdown import escape_markdown


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("<script>", "\\<script\\>"),
        ("**bold** _it_", "\\*\\*bold\\*\\* \\_it\\_"),
        ("[link](http://x)", "\\[link\\]\\(http\\://x\\)"),
        (":red[alarm] :material/home:", "\\:red\\[alarm\\] \\:material/home\\:"),
        ("$x$ ~~gone~~ &amp;", "\\$x\\$ \\~\\~gone\\~\\~ \\&amp;"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. first", "1\\. first"),
        ("=== underline", "\\=== underline"),
        ("two\nlines\r\n  and   spaces", "two lines and spaces"),
        (42, "42"),
    ],
)
def test_markdown_significant_characters_are_escaped(text: object, escaped: str) -> None:
    assert escape_markdown(text) == escaped


def test_the_app_and_the_model_card_use_the_same_escaper() -> None:
    from core.bundle import card
    from ui import text

    assert card.md is escape_markdown
    assert text.escape_markdown is escape_markdown
