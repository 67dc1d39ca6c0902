"""The glossary: plain-language explanations of every term a Trainboard user meets.

Pure data and lookups, no Streamlit, so the Learn page, the Design page's "one click away"
explanations, a report or a translation catalog can all read the same texts.

Usage::

    from core.glossary import Term, get_entry, term_for_setting

    entry = get_entry(Term.LEARNING_RATE)          # a GlossaryEntry
    entry = term_for_setting("training.optimizer")  # the entry that explains a recipe setting

``ui.glossary.show_entry(entry)`` renders one entry (text, formula, example, picture).
"""

from __future__ import annotations

from dataclasses import replace

from core.glossary.data_entries import DATA_ENTRIES, SCORE_ENTRIES
from core.glossary.illustrations import (
    FIT_EPOCHS,
    FIT_PATIENCE,
    FIT_POINTS,
    FIT_VALIDATION_POINTS,
    LEARNING_RATE_CASES,
    LEARNING_RATE_STEPS,
    OPTIMIZER_BATCH,
    OPTIMIZER_ROWS,
    OPTIMIZER_STEPS,
    overfitting_run,
)
from core.glossary.network_entries import NETWORK_ENTRIES, OVERFITTING_ENTRIES, TRAINING_ENTRIES
from core.glossary.terms import (
    ILLUSTRATION_CAPTIONS,
    SECTION_TITLES,
    GlossaryEntry,
    Illustration,
    Section,
    Term,
)
from core.i18n import DEFAULT_LANGUAGE, catalog, current_language
from core.model.choices import OPTIMIZERS
from core.model.recipe import (
    AUTO_BATCH_MAX,
    AUTO_BATCH_MIN,
    AUTO_BATCH_ROWS_PER_STEP,
    PreprocessingConfig,
    SplitConfig,
)

__all__ = [
    "GLOSSARY",
    "SECTION_TITLES",
    "SETTING_TERMS",
    "GlossaryEntry",
    "Illustration",
    "Section",
    "Term",
    "entries_in",
    "get_entry",
    "illustration_caption",
    "search",
    "term_for_setting",
]


def _facts() -> dict[str, str]:
    """The app's own defaults, quoted by the texts (so a changed default changes the text)."""
    split = SplitConfig()
    preprocessing = PreprocessingConfig()
    validation = round(split.validation_fraction * 100)
    test = round(split.test_fraction * 100)
    return {
        "adam_learning_rate": f"{OPTIMIZERS['adam'].learning_rate:g}",
        "sgd_learning_rate": f"{OPTIMIZERS['sgd'].learning_rate:g}",
        "auto_batch_rows": str(AUTO_BATCH_ROWS_PER_STEP),
        "auto_batch_min": str(AUTO_BATCH_MIN),
        "auto_batch_max": f"{AUTO_BATCH_MAX:,}",
        "train_percent": str(100 - validation - test),
        "validation_percent": str(validation),
        "test_percent": str(test),
        "min_category_count": str(preprocessing.min_category_count),
        "max_categories": str(preprocessing.max_categories),
        "fit_points": str(FIT_POINTS),
    }


def _filled(entry: GlossaryEntry, facts: dict[str, str]) -> GlossaryEntry:
    # Only the prose fields take placeholders: formulas are LaTeX, full of braces.
    return replace(
        entry,
        short=entry.short.format_map(facts),
        explanation=entry.explanation.format_map(facts),
        example=entry.example.format_map(facts) if entry.example else None,
    )


def in_language(entry: GlossaryEntry) -> GlossaryEntry:
    """``entry`` with the fields the catalog has for it (``core.glossary.<id>.<field>``, in
    glossary.po; the longer texts in glossary_long.po) in the current language."""
    code = current_language()
    if code == DEFAULT_LANGUAGE:
        return entry
    texts = catalog(code)
    changes = {}
    for name in TRANSLATED_FIELDS:
        text = texts.get(f"core.glossary.{entry.id.value}.{name}")
        if text:
            changes[name] = text.format_map(_FACTS) if name != "title" else text
    return replace(entry, **changes) if changes else entry


# The entry fields with catalog texts (tests/test_i18n_core.py checks the English ones agree).
TRANSLATED_FIELDS = ("title", "short", "explanation", "formula_note", "example")


def _build() -> dict[Term, GlossaryEntry]:
    facts = _facts()
    every = (
        *NETWORK_ENTRIES,
        *TRAINING_ENTRIES,
        *OVERFITTING_ENTRIES,
        *DATA_ENTRIES,
        *SCORE_ENTRIES,
    )
    glossary = {entry.id: _filled(entry, facts) for entry in every}
    if len(glossary) != len(every) or set(glossary) != set(Term):
        raise RuntimeError("Every glossary id needs exactly one entry.")  # a programming error
    return glossary


# Every entry by id, in Learn-page order (section by section). Built once at import: read-only.
# The entries are English; the readers below give them in the current language.
GLOSSARY: dict[Term, GlossaryEntry] = _build()
_FACTS = _facts()

# Which entry explains each recipe setting (dotted names as in core.model.fields; a hidden
# layer's own settings are "layer.<name>"). The Design page shows the entry one click away.
SETTING_TERMS: dict[str, Term] = {
    "preprocessing.numeric_scaling": Term.SCALING,
    "preprocessing.categorical_encoding": Term.ONE_HOT,
    "preprocessing.max_categories": Term.ONE_HOT,
    "preprocessing.min_category_count": Term.ONE_HOT,
    "split.validation_fraction": Term.DATA_SPLITS,
    "split.test_fraction": Term.DATA_SPLITS,
    "split.stratify": Term.DATA_SPLITS,
    "model.hidden_layers": Term.HIDDEN_LAYERS,
    "layer.units": Term.HIDDEN_LAYERS,
    "layer.activation": Term.ACTIVATION,
    "layer.dropout": Term.DROPOUT,
    "model.l1": Term.L1_L2,
    "model.l2": Term.L1_L2,
    "training.optimizer": Term.OPTIMIZER,
    "training.learning_rate": Term.LEARNING_RATE,
    "training.momentum": Term.OPTIMIZER,
    "training.batch_size": Term.BATCH_SIZE,
    "training.max_epochs": Term.EPOCHS,
    "training.early_stopping": Term.EARLY_STOPPING,
    "training.patience": Term.EARLY_STOPPING,
    "training.reduce_lr_on_plateau": Term.LEARNING_RATE,
}


def get_entry(term: Term | str) -> GlossaryEntry:
    """The entry with this id (a :class:`Term` or its string value).

    Raises
    ------
    KeyError
        If no entry has that id.
    """
    try:
        return in_language(GLOSSARY[Term(term)])
    except ValueError:
        raise KeyError(f"No glossary entry '{term}'.") from None


def term_for_setting(path: str) -> GlossaryEntry | None:
    """The entry that explains the recipe setting ``path`` (e.g. ``"training.optimizer"``)."""
    term = SETTING_TERMS.get(path)
    return in_language(GLOSSARY[term]) if term is not None else None


def entries_in(section: Section) -> list[GlossaryEntry]:
    """The entries of one section, in page order."""
    return [in_language(entry) for entry in GLOSSARY.values() if entry.section == section]


def search(query: str) -> list[GlossaryEntry]:
    """Entries whose words contain every word of ``query`` (case-insensitive), titles first.

    An empty query returns every entry.
    """
    words = query.casefold().split()
    every = [in_language(entry) for entry in GLOSSARY.values()]
    if not words:
        return every
    found = [e for e in every if all(w in e.text().casefold() for w in words)]
    # Entries named by the query come before those that merely mention it.
    return sorted(found, key=lambda e: not e.is_named_by(query))


def illustration_caption(illustration: Illustration) -> str:
    """What a picture shows, with the experiment's own numbers filled in."""
    run = overfitting_run()
    values = {
        "rows": OPTIMIZER_ROWS,
        "steps": OPTIMIZER_STEPS,
        "batch": OPTIMIZER_BATCH,
        "points": FIT_POINTS,
        "validation": FIT_VALIDATION_POINTS,
        "early": run.snapshots["early"][0],
        "best": run.best_epoch,
        "last": f"{FIT_EPOCHS:,}",
        "patience": FIT_PATIENCE,
        "stop": run.stop_epoch,
        **{case: f"{rate:g}" for case, rate in LEARNING_RATE_CASES.items()},
    }
    if illustration == Illustration.LEARNING_RATES:
        values["steps"] = LEARNING_RATE_STEPS
    caption = ILLUSTRATION_CAPTIONS[illustration]
    if current_language() != DEFAULT_LANGUAGE:  # the caption in glossary.po, when it has one
        caption = catalog(current_language()).get(
            f"core.glossary.caption.{Illustration(illustration).value}", caption
        )
    return caption.format_map(values)
