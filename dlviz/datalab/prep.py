"""From a table to the arrays a network trains on, each step stated the way the page states it.

- ``plan``: what each column becomes: a number (standardized by the model's Normalization layer), a category
  (one-hot encoded), or dropped with the reason (empty, an ID, free text, a date).
- ``detect_task``: binary, multi-class or regression, by a rule the page shows and a participant can override.
- ``split``: training / validation / test rows from one seeded shuffle; ``folds`` for K-fold.
- ``encode``: the features as a float matrix (missing numbers filled with the training rows' median, missing
  categories a category of their own) and the target as class numbers or values.

The exported program (``dlviz.datalab.code``) does the same steps with the same pandas calls.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_CATEGORIES = 20  # a text column with more distinct values is free text or an ID, not a category
MAX_CLASSES = 50
MAX_FEATURES = 2_000  # columns after one-hot encoding
CLASS_RULE_MAX = 10  # whole numbers with at most this many distinct values are classes
MISSING = "(missing)"
TASKS = {"binary": "binary classification", "multiclass": "multi-class classification", "regression": "regression"}
_ID_NAME = re.compile(r"(^|[^a-z])(id|index|key|uuid|row)([^a-z]|$)", re.I)


class PrepError(ValueError):
    """The chosen target or table cannot be trained on, with the reason in words."""


@dataclass
class Plan:
    target: str
    numbers: list[str]
    categories: list[str]
    dropped: dict[str, str]  # column -> why
    notes: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        return [*self.numbers, *self.categories]


def _as_numbers(column: pd.Series) -> pd.Series | None:
    """The column as numbers when it is numbers (text cells that all read as numbers count), else None."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    return None


def _looks_like_dates(column: pd.Series) -> bool:
    sample = column.dropna().astype(str).head(50)
    if sample.empty or not sample.str.contains(r"\d{1,4}[-/.:]\d{1,2}", regex=True).mean() > 0.8:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return parsed.notna().mean() > 0.8


def plan(frame: pd.DataFrame, target: str) -> Plan:
    """What each column of ``frame`` becomes when predicting ``target``."""
    if target not in frame.columns:
        raise PrepError(f"There is no column called {target!r}.")
    numbers, categories, dropped, notes = [], [], {}, []
    n = len(frame)
    for name in frame.columns:
        if name == target:
            continue
        column = frame[name]
        filled = column.dropna()
        if filled.empty:
            dropped[name] = "empty"
            continue
        values = _as_numbers(column)
        if values is not None:
            finite = values.replace([np.inf, -np.inf], np.nan)
            if finite.notna().sum() == 0:
                dropped[name] = "no finite numbers"
                continue
            whole = bool(np.all(np.mod(finite.dropna(), 1) == 0))
            if whole and n >= 20 and finite.nunique() == n and (_ID_NAME.search(str(name)) or _consecutive(finite)):
                dropped[name] = "an ID (a different whole number on every row)"
                continue
            if finite.nunique() == 1:
                dropped[name] = "the same value on every row"
                continue
            numbers.append(name)
            infinite, missing = int(np.isinf(values).sum()), int(finite.isna().sum())
            if missing:
                also = f" ({infinite} of them infinite)" if infinite else ""
                notes.append(f"{name}: {missing} missing{also}, filled with the training rows' median.")
            continue
        if _looks_like_dates(column):
            dropped[name] = "a date (dates are not numbers a network can read as they are)"
            continue
        distinct = filled.astype(str).nunique()
        if distinct <= MAX_CATEGORIES:
            if distinct == 1 and not column.isna().any():
                dropped[name] = "the same value on every row"
                continue
            categories.append(name)
            if column.isna().any():
                notes.append(f"{name}: {int(column.isna().sum())} missing, a category of their own ({MISSING}).")
        elif distinct >= 0.9 * len(filled):
            dropped[name] = "an ID or free text (a different value on almost every row)"
        else:
            dropped[name] = f"text with {distinct} different values (one-hot takes up to {MAX_CATEGORIES})"
    if not numbers and not categories:
        raise PrepError(f"No column is left to predict {target!r} from: " + describe_dropped(dropped))
    return Plan(target, numbers, categories, dropped, notes)


def _consecutive(values: pd.Series) -> bool:
    steps = np.diff(np.sort(values.dropna().to_numpy()))
    return bool(steps.size and np.all(steps == 1))


def describe_dropped(dropped: dict[str, str]) -> str:
    return "; ".join(f"{name}: {why}" for name, why in dropped.items()) or "none"


# --- the task ---------------------------------------------------------------------------------------
TASK_RULE = (
    "Text, true/false, or whole numbers with at most 10 different values: classes (2 of them: binary). "
    "Any other numbers: regression."
)


def detect_task(target: pd.Series) -> str:
    """``binary``, ``multiclass`` or ``regression`` by ``TASK_RULE``."""
    values = target.dropna()
    numbers = _as_numbers(values)
    if numbers is not None:
        finite = numbers[np.isfinite(numbers)]
        whole = bool(np.all(np.mod(finite, 1) == 0))
        if not (whole and finite.nunique() <= CLASS_RULE_MAX) and not pd.api.types.is_bool_dtype(values):
            return "regression"
    return "binary" if values.astype(str).nunique() == 2 else "multiclass"


@dataclass
class Target:
    task: str
    classes: list[str]  # class names in order (empty for regression)
    values: np.ndarray  # class numbers (int) or values (float), one per kept row
    keep: np.ndarray  # which rows of the table have a usable target
    notes: list[str] = field(default_factory=list)


def target_values(column: pd.Series, task: str) -> Target:
    """The target as the network learns it: class numbers 0..k-1 by sorted class, or finite values."""
    notes = []
    if task == "regression":
        numbers = _as_numbers(column)
        if numbers is None:
            raise PrepError(f"{column.name!r} holds text, so it cannot be a regression target; choose classification.")
        keep = np.isfinite(numbers.to_numpy())
        values = numbers.to_numpy()[keep].astype(np.float32)
        if values.size and np.ptp(values) == 0:
            raise PrepError(f"{column.name!r} has the same value on every row: there is nothing to learn.")
        classes = []
    else:
        numbers = _as_numbers(column)
        keep = column.notna().to_numpy().copy()
        if numbers is not None:
            keep &= np.isfinite(numbers.to_numpy())
        labels = column[keep]
        classes_raw = sorted(pd.unique(labels))  # as the exported program sorts them
        if len(classes_raw) < 2:
            raise PrepError(f"{column.name!r} has one value only ({classes_raw[0] if classes_raw else 'none'}): "
                            "there is nothing to tell apart.")  # fmt: skip
        if len(classes_raw) > MAX_CLASSES:
            raise PrepError(f"{column.name!r} has {len(classes_raw)} different values; the Data lab tells apart up "
                            f"to {MAX_CLASSES} classes. If it is a number to predict, choose regression.")  # fmt: skip
        if task == "binary" and len(classes_raw) != 2:
            raise PrepError(f"{column.name!r} has {len(classes_raw)} classes, so it is not binary: choose "
                            "multi-class (or Detect).")  # fmt: skip
        index = {v: i for i, v in enumerate(classes_raw)}
        values = labels.map(index).to_numpy().astype(np.int64)
        classes = [_label(v) for v in classes_raw]
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"{dropped} row{'s' if dropped != 1 else ''} without a usable {column.name!r} left out.")
    if keep.sum() < 10:
        raise PrepError(f"Only {int(keep.sum())} rows have a usable {column.name!r}; at least 10 are needed.")
    return Target(task, classes, values, keep, notes)


def _label(v) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


# --- splits -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def split(n: int, val_pct: int, test_pct: int, seed: int) -> Split:
    """Row numbers of the three parts, from one shuffle (``numpy.random.default_rng(seed)``): test, then
    validation, then training."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(n * test_pct / 100)) if test_pct else 0
    n_val = max(1, round(n * val_pct / 100)) if val_pct else 0
    if n - n_test - n_val < 2:
        raise PrepError(f"{n} rows leave nothing to train on with {val_pct}% validation and {test_pct}% test.")
    return Split(order[n_test + n_val :], order[n_test : n_test + n_val], order[:n_test])


def folds(rows: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """K-fold: (training rows, validation rows) for each of ``k`` disjoint validation parts covering ``rows``."""
    parts = np.array_split(np.asarray(rows), k)
    return [(np.concatenate([p for j, p in enumerate(parts) if j != i]), parts[i]) for i in range(k)]


# --- encoding ---------------------------------------------------------------------------------------
@dataclass
class Encoded:
    x: np.ndarray  # float32, rows x features (one-hot columns after the numbers)
    columns: list[str]
    medians: dict[str, float]  # filled into missing numbers: the training rows' medians


def encode(frame: pd.DataFrame, p: Plan, train_rows: np.ndarray) -> Encoded:
    """The features of every row of ``frame``, with missing numbers filled from ``train_rows`` alone."""
    numbers = frame[p.numbers].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    medians = numbers.iloc[train_rows].median().fillna(0.0)
    numbers = numbers.fillna(medians)
    parts = [numbers.astype("float32")]
    columns = list(p.numbers)
    if p.categories:
        cats = frame[p.categories].astype("string").fillna(MISSING)
        hot = pd.get_dummies(cats, columns=p.categories, dtype="float32")
        parts.append(hot)
        columns += list(hot.columns)
    if len(columns) > MAX_FEATURES:
        raise PrepError(f"The table makes {len(columns):,} features after one-hot encoding; the Data lab takes up "
                        f"to {MAX_FEATURES:,}.")  # fmt: skip
    x = np.concatenate([part.to_numpy(np.float32) for part in parts], axis=1)
    return Encoded(x, columns, {k: float(v) for k, v in medians.items()})


def one_hot(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k, dtype=np.float32)[y]
