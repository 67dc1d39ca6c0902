"""Trainboard in several languages: message catalogs, the current language, messages as data.

Every user-facing sentence has a key (``"ui.data.using"``) and one entry per language in the
gettext catalogs under ``core/i18n/locales/<language>/*.po`` (read with Babel; every ``.po``
file of a language folder is part of that language's catalog, so each area of the app keeps
its own file). A module declares its texts once, as ``TEXT = Texts("ui.data")``, and reads
``TEXT["using"]`` where it used to read an English dict: the lookup happens at that moment,
in the language of whoever is being served.

The current language is one global setting for a process (a job process, the CLI) that a UI
may replace with a *provider* — a function returning the language of the session being drawn
(:func:`set_language_provider`) — so ``core`` never imports the UI.

Text that outlives the moment it was made (a diagnosis saved in a run's ``result.json`` and
read later, maybe in another language) is kept as a :class:`Message`: a key and its
parameters, rendered when shown.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# language code -> its own name, as the language switch shows it
LANGUAGES: dict[str, str] = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"
# The Babel locale each language formats numbers and dates with.
BABEL_LOCALES: dict[str, str] = {"en": "en_US", "zh": "zh_Hans_CN"}

_state = threading.local()
_default_language = DEFAULT_LANGUAGE
_provider: Callable[[], str | None] | None = None


class CatalogError(ValueError):
    """A catalog file is broken or two files of one language define the same key."""


def normalise_language(value: object) -> str | None:
    """``"zh"``, ``"zh-CN"``, ``"zh_Hans"`` -> ``"zh"``; ``"en-GB"`` -> ``"en"``; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def set_language(language: str) -> None:
    """Set the language of this process (the CLI, a job process)."""
    global _default_language
    _default_language = _checked(language)


def set_language_provider(provider: Callable[[], str | None] | None) -> None:
    """Let a UI say which language the session being drawn uses (None: back to the global)."""
    global _provider
    _provider = provider


@contextlib.contextmanager
def language(code: str) -> Iterator[None]:
    """Use ``code`` in this thread for the ``with`` block (the model card at export, say)."""
    previous = getattr(_state, "language", None)
    _state.language = _checked(code)
    try:
        yield
    finally:
        _state.language = previous


def current_language() -> str:
    """The language texts are looked up in now: a ``with language(...)`` block, the UI's
    provider, or the process's setting, in that order."""
    forced = getattr(_state, "language", None)
    if forced:
        return forced
    if _provider is not None:
        chosen = normalise_language(_provider())
        if chosen:
            return chosen
    return _default_language


def _checked(code: str) -> str:
    chosen = normalise_language(code)
    if chosen is None:
        raise ValueError(f"unknown language {code!r}; choose one of {', '.join(LANGUAGES)}")
    return chosen


@cache
def catalog(language_code: str) -> dict[str, str]:
    """Every key of one language and its text, from all ``.po`` files of its folder."""
    entries: dict[str, str] = {}
    folder = LOCALES_DIR / language_code
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            try:
                messages = read_po(handle, locale=BABEL_LOCALES.get(language_code))
            except Exception as error:  # Babel raises several types for a broken file
                raise CatalogError(f"{path}: {error}") from error
        for message in messages:
            if not message.id:  # the header
                continue
            key = str(message.id)
            if key in entries:
                raise CatalogError(f"{path}: the key {key!r} is also defined in another file")
            entries[key] = str(message.string)
    return entries


def gettext(key: str, language_code: str | None = None, /, **params: Any) -> str:
    """The text of ``key`` in ``language_code`` (default: the current language), formatted
    with ``params`` (``str.format`` fields such as ``{rows:,}``).

    A key missing from a language falls back to English, then to the key itself, so a gap
    never breaks a page (the catalog tests catch gaps before release).
    """
    code = language_code or current_language()
    text = catalog(code).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**params) if params else text


class Texts(Mapping[str, str]):
    """The texts of one area (``Texts("ui.data")["using"]`` is key ``"ui.data.using"``),
    looked up in the current language at each read.

    A name that starts a group of keys (``TEXT["phases"]`` for ``ui.runs.phases.*``) reads
    as that group's own ``Texts``, so a table of texts nests like a dict.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def key(self, name: str) -> str:
        """The catalog key of ``name``."""
        return f"{self.prefix}.{name}"

    def __getitem__(self, name: str) -> str:
        key = self.key(name)
        english = catalog(DEFAULT_LANGUAGE)
        if key not in english:
            if any(k.startswith(key + ".") for k in english):
                # A group of texts ("ui.runs.phases.waiting", ...): read it like a nested dict.
                return Texts(key)  # type: ignore[return-value]
            raise KeyError(key)
        return gettext(key)

    def __iter__(self) -> Iterator[str]:
        start = self.prefix + "."
        return (k[len(start) :] for k in catalog(DEFAULT_LANGUAGE) if k.startswith(start))

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class Message:
    """A sentence kept as data: its catalog key and parameters, rendered when shown."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language_code: str | None = None) -> str:
        """The sentence in ``language_code`` (default: the current language).

        A parameter that is itself a :class:`Message` (or a list of them, written one after
        the other) is rendered in the same language, so a sentence can be built of parts.
        The format spec ``capital`` writes a part with its first letter in capitals
        (``"{first:capital}"``: English sentences that may start with any of their parts).
        """
        code = language_code or current_language()
        params = {name: _nested(value, code) for name, value in self.params.items()}
        return gettext(self.key, code, **params)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: ``{"key": ..., "params": {...}}``."""
        return {"key": self.key, "params": {k: _stored(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """The inverse of :meth:`to_dict` (nested messages come back as messages)."""
        params = data.get("params") or {}
        return cls(str(data["key"]), {k: _restored(v) for k, v in params.items()})

    @classmethod
    def verbatim(cls, text: str) -> Message:
        """A text kept as it is in every language: what an older result stored without a key."""
        return cls(VERBATIM_KEY, {"text": text})


# The one key whose text is its parameter, in every language.
VERBATIM_KEY = "core.i18n.verbatim"


class _Part:
    """A nested message, formatted in the language of the message around it."""

    def __init__(self, parts: list[Message], language_code: str) -> None:
        self.parts, self.language_code = parts, language_code

    def __format__(self, spec: str) -> str:
        text = "".join(part.render(self.language_code) for part in self.parts)
        if spec == "capital":
            text = text.strip()
            return text[:1].upper() + text[1:]
        return format(text, spec)


def _nested(value: Any, language_code: str) -> Any:
    if isinstance(value, Message):
        return _Part([value], language_code)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Message) for v in value):
        return _Part(list(value), language_code)
    return value


def _stored(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, (list, tuple)) and any(isinstance(v, Message) for v in value):
        return [_stored(v) for v in value]
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"key", "params"}:
        return Message.from_dict(value)
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return [_restored(v) for v in value]
    return value
