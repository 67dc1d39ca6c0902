"""User text shown inside markdown, escaped once for the app and the model card alike.

Column names, category values, file names and error messages that quote them come from
the user's file. Streamlit renders ``st.markdown``, ``st.warning``, ``st.error`` and
widget labels as markdown, and the model card is a markdown page, so such text is
escaped before it reaches either: it can then never start a heading, list, table, link,
image, raw HTML, math or one of Streamlit's ``:color[...]`` / ``:material/icon:``
directives.
"""

from __future__ import annotations

import re

# CommonMark makes any backslash-escaped ASCII punctuation literal. These are the characters
# that can start markup: emphasis, code, links and images (and GFM's "www." autolinks),
# headings, lists, tables, raw HTML and entities, and Streamlit's own directives.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
# A leading "=" would underline the line before it into a heading.
_LEADING_EQUALS = re.compile(r"^=")


def escape_markdown(text: object) -> str:
    """Make ``text`` show literally inside markdown, on one line.

    Parameters
    ----------
    text : object
        Any value; it is converted with ``str`` first.

    Returns
    -------
    str
        The text with runs of whitespace (line breaks included) turned into single
        spaces, and every markdown-significant character backslash-escaped.
    """
    flat = " ".join(str(text).split())
    return _LEADING_EQUALS.sub(r"\\=", _MARKDOWN_SPECIAL.sub(r"\\\1", flat))
