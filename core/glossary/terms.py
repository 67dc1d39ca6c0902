"""The shape of a glossary entry, and every entry id, declared once.

An entry is a structured record rather than a finished page, so that the texts can be
translated field by field later and so that any page can show as much of it as fits:
the Design page a short line next to a setting and the rest one click away, the Learn page
everything. Ids are members of :class:`Term`; pages refer to ``Term.LEARNING_RATE``, never to
a spelled-out string.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum

from core.i18n import Texts


class Term(str, Enum):
    """The id of every glossary entry (its value is stable: it may appear in URLs and catalogs)."""

    HIDDEN_LAYERS = "hidden_layers"
    ACTIVATION = "activation"
    BACKPROPAGATION = "backpropagation"
    LOSS = "loss"
    CROSS_ENTROPY = "cross_entropy"
    MEAN_SQUARED_ERROR = "mean_squared_error"
    OPTIMIZER = "optimizer"
    LEARNING_RATE = "learning_rate"
    BATCH_SIZE = "batch_size"
    EPOCHS = "epochs"
    OVERFITTING = "overfitting"
    L1_L2 = "l1_l2"
    DROPOUT = "dropout"
    EARLY_STOPPING = "early_stopping"
    SCALING = "scaling"
    ONE_HOT = "one_hot"
    DATA_SPLITS = "data_splits"
    ACCURACY = "accuracy"
    PRECISION_RECALL = "precision_recall"
    F1 = "f1"
    ROC_AUC = "roc_auc"
    R_SQUARED = "r_squared"


class Section(str, Enum):
    """Where an entry belongs on the Learn page; the order here is the page's order."""

    NETWORK = "network"
    TRAINING = "training"
    OVERFITTING = "overfitting"
    DATA = "data"
    SCORES = "scores"


class _SectionTitles(Mapping[Section, str]):
    """Section headings in plain words, in the current language (catalog
    ``core.glossary.section.<section>``, glossary.po)."""

    def __getitem__(self, section: Section) -> str:
        return _SECTIONS[Section(section).value]

    def __iter__(self) -> Iterator[Section]:
        return iter(Section)

    def __len__(self) -> int:
        return len(Section)


_SECTIONS = Texts("core.glossary.section")
SECTION_TITLES: Mapping[Section, str] = _SectionTitles()


class Illustration(str, Enum):
    """A picture an entry can show; its numbers come from :mod:`core.glossary.illustrations`."""

    ACTIVATION_CURVES = "activation_curves"
    OPTIMIZER_PATHS = "optimizer_paths"
    LEARNING_RATES = "learning_rates"
    FIT_CURVES = "fit_curves"
    LOSS_CURVES = "loss_curves"


# What each picture shows, in plain words. The braces are filled in with the experiment's own
# settings (core.glossary.illustrations), so the caption always matches the picture.
ILLUSTRATION_CAPTIONS: dict[Illustration, str] = {
    Illustration.ACTIVATION_CURVES: "What each activation does to a neuron's weighted sum z.",
    Illustration.OPTIMIZER_PATHS: (
        "Three methods learning the two weights of a tiny model ({rows} rows), {steps} steps each "
        "from the same start; the darker the colour, the lower the loss. Gradient descent "
        "measures the slope on all rows at every step, SGD and Adam on batches of {batch} rows "
        "(so the lines wobble). On a small, smooth problem like this one, with a rate tuned for "
        "it, plain gradient descent does well; Adam's strength is that its steps do not depend on "
        "how steep the slope is, so its default rate also works on problems of very different "
        "scales."
    ),
    Illustration.LEARNING_RATES: (
        "Gradient descent on a simple bowl-shaped loss, {steps} steps from the same start with "
        "three learning rates: {too_low} crawls, {good} settles at the bottom, {too_high} "
        "overshoots further at every step."
    ),
    Illustration.FIT_CURVES: (
        "A very flexible curve fitted to {points} noisy points of a smooth pattern (dashed): after "
        "{early} epochs it is too simple, at epoch {best} it follows the pattern, after {last} "
        "epochs it chases the noise."
    ),
    Illustration.LOSS_CURVES: (
        "The same fit's loss after each epoch: on the training points it keeps falling, on "
        "{validation} fresh points it is lowest at epoch {best} and then rises. With a patience "
        "of {patience}, early stopping would stop at epoch {stop} and keep epoch {best}'s curve."
    ),
}


@dataclass(frozen=True)
class GlossaryEntry:
    """One explained term.

    Attributes
    ----------
    id : Term
    section : Section
    title : str
        The term as a heading, e.g. "Learning rate".
    short : str
        One or two sentences: what it is and why it matters (fits beside a setting).
    explanation : str
        The longer explanation in plain language for a product manager; markdown paragraphs
        (no user data ever goes in here, so markdown is safe).
    formula : str or None
        LaTeX for ``st.latex``, for the curious reader.
    formula_note : str or None
        What the symbols of the formula stand for.
    example : str or None
        A small worked example with numbers (markdown).
    illustration : Illustration or None
        A picture that helps, drawn by the UI from computed numbers.
    related : tuple of Term
        Entries worth reading next.
    """

    id: Term
    section: Section
    title: str
    short: str
    explanation: str
    formula: str | None = None
    formula_note: str | None = None
    example: str | None = None
    illustration: Illustration | None = None
    related: tuple[Term, ...] = ()

    def is_named_by(self, query: str) -> bool:
        """Whether every word of ``query`` is in the title (a search that names this entry)."""
        words = query.casefold().split()
        return bool(words) and all(word in self.title.casefold() for word in words)

    def text(self) -> str:
        """All the words of the entry in one string (for searching)."""
        parts = [self.title, self.short, self.explanation, self.formula_note, self.example]
        return " ".join(part for part in parts if part)
