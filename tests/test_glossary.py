"""The glossary (core.glossary): complete, consistent with the recipe, searchable; its pictures."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.glossary import (
    GLOSSARY,
    SECTION_TITLES,
    SETTING_TERMS,
    Illustration,
    Section,
    Term,
    entries_in,
    get_entry,
    illustration_caption,
    search,
    term_for_setting,
)
from core.glossary.illustrations import (
    LEARNING_RATE_CASES,
    activation_curves,
    learning_rate_paths,
    optimizer_paths,
    overfitting_run,
)
from core.model.choices import OPTIMIZERS
from core.model.fields import spec_for
from core.model.recipe import ModelConfig, TrainingConfig
from core.model.tiny_network import ACTIVATIONS


def test_every_id_has_one_complete_entry():
    assert set(GLOSSARY) == set(Term)
    for term, entry in GLOSSARY.items():
        assert entry.id == term
        assert entry.title and entry.short and entry.explanation
        assert all(related in GLOSSARY and related != term for related in entry.related)


def test_the_topics_the_issue_asks_for_are_covered():
    titles = " ".join(entry.title for entry in GLOSSARY.values()).casefold()
    for topic in ["hidden layers", "relu", "tanh", "sigmoid", "sgd", "adam", "learning rate",
                  "batch size", "epochs", "cross-entropy", "squared error", "l1", "l2",
                  "dropout", "early stopping", "scaling", "one-hot", "validation", "test",
                  "accuracy", "precision", "recall", "f1", "roc auc", "r²"]:  # fmt: skip
        assert topic in titles, topic


def test_placeholders_are_filled_with_the_apps_own_defaults():
    for entry in GLOSSARY.values():
        for text in (entry.short, entry.explanation, entry.example or ""):
            assert not re.search(r"\{[a-z_]+\}", text), (entry.id, text)
    assert f"{OPTIMIZERS['adam'].learning_rate:g}" in get_entry(Term.OPTIMIZER).explanation
    assert f"{OPTIMIZERS['sgd'].learning_rate:g}" in get_entry(Term.LEARNING_RATE).explanation


def test_formulas_have_balanced_braces():
    for entry in GLOSSARY.values():
        if entry.formula:
            depth = 0
            for char in entry.formula.replace(r"\{", "").replace(r"\}", ""):
                depth += {"{": 1, "}": -1}.get(char, 0)
                assert depth >= 0, entry.id
            assert depth == 0, entry.id


def test_every_linked_setting_exists_in_the_recipe():
    for path in SETTING_TERMS:
        assert spec_for(path).path == path
    assert term_for_setting("training.optimizer").id == Term.OPTIMIZER
    assert term_for_setting("seed") is None


def test_every_explainable_setting_is_linked():
    # The settings the issue names must each be one click from their explanation.
    for path in ["layer.units", "layer.activation", "layer.dropout", "model.l1", "model.l2",
                 "training.optimizer", "training.learning_rate", "training.batch_size",
                 "training.max_epochs", "training.early_stopping",
                 "preprocessing.numeric_scaling", "preprocessing.categorical_encoding",
                 "split.validation_fraction", "split.test_fraction"]:  # fmt: skip
        assert path in SETTING_TERMS, path
    assert set(ModelConfig.model_fields) >= {p.split(".")[1] for p in SETTING_TERMS if
                                             p.startswith("model.")}  # fmt: skip
    assert set(TrainingConfig.model_fields) >= {
        p.split(".")[1] for p in SETTING_TERMS if p.startswith("training.")
    }


def test_lookup_by_id_string_and_unknown_id():
    assert get_entry("learning_rate") is get_entry(Term.LEARNING_RATE)
    with pytest.raises(KeyError, match="No glossary entry"):
        get_entry("warp_drive")


def test_sections_partition_the_entries():
    assert set(SECTION_TITLES) == set(Section)
    together = [entry for section in Section for entry in entries_in(section)]
    assert sorted(e.id for e in together) == sorted(GLOSSARY)


def test_search_matches_every_word_and_puts_titles_first():
    assert len(search("")) == len(GLOSSARY)
    found = search("dropout")
    assert found[0].id == Term.DROPOUT
    assert Term.OVERFITTING in {e.id for e in found}
    assert [e.id for e in search("precision RECALL")][0] == Term.PRECISION_RECALL
    assert search("zebra quantum") == []
    assert get_entry(Term.F1).is_named_by("f1") and not get_entry(Term.F1).is_named_by("")


def test_activation_curves_cover_every_recipe_choice():
    curves = activation_curves()
    assert set(ACTIVATIONS) <= set(curves)
    z = curves["z"]
    np.testing.assert_allclose(curves["relu"], np.maximum(z, 0))
    assert np.all((curves["sigmoid"] > 0) & (curves["sigmoid"] < 1))


def test_optimizer_paths_all_learn_and_differ():
    paths = optimizer_paths()
    assert set(paths.paths) == {"gd", "sgd", "adam"}
    for name, losses in paths.losses.items():
        assert losses[-1] < 0.2 * losses[0], name
    # Full-batch gradient descent at a stable rate never goes uphill; SGD's batches wobble.
    assert np.all(np.diff(paths.losses["gd"]) <= 1e-12)
    assert np.any(np.diff(paths.losses["sgd"]) > 0)
    assert paths.surface.shape == (len(paths.grid_w2), len(paths.grid_w1))


def test_learning_rate_cases_crawl_settle_and_explode():
    paths = learning_rate_paths()
    assert set(paths.losses) == set(LEARNING_RATE_CASES)
    # Too low: after all the steps, still more than half the way from the bottom.
    start, end = paths.weights["too_low"][0], paths.weights["too_low"][-1]
    bottom = paths.grid[np.argmin(paths.bowl)]
    assert abs(end - bottom) > 0.5 * abs(start - bottom)
    assert paths.losses["good"][-1] < 1e-3
    assert paths.losses["too_high"][-1] > paths.losses["too_high"][0]


def test_overfitting_run_shows_the_u_shaped_validation_curve():
    run = overfitting_run()
    assert 1 < run.best_epoch < len(run.validation_loss)
    assert run.validation_loss[-1] > 2 * run.validation_loss[run.best_epoch - 1]
    assert run.train_loss[-1] < run.train_loss[run.best_epoch - 1]
    assert run.snapshots["early"][0] < run.best_epoch < run.snapshots["last"][0]
    caption = illustration_caption(Illustration.LOSS_CURVES)
    assert f"epoch {run.best_epoch}" in caption and "{" not in caption
