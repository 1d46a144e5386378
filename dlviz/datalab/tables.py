"""Tables to learn from: the ones that ship with scikit-learn, the course's own through Keras, and your CSV.

Everything here returns a ``Table`` (a pandas frame, its target column and what was noticed while reading)
or raises ``TableError`` with a sentence a participant can act on; nothing here ever shows a traceback.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MAX_ROWS = 50_000  # rows kept from a table; more are cut with a note (a session holds them in memory)
MAX_COLUMNS = 300  # columns read from a CSV
MIN_ROWS = 10
WORDS = 1_000  # IMDB and Reuters: multi-hot vectors of the most frequent words
IMDB_REVIEWS = 5_000  # of IMDB's 25,000 training reviews (25,000 x 1,000 floats would be 100 MB a session)


class TableError(ValueError):
    """A table dlviz cannot use, with the reason in words."""


class OfflineError(TableError):
    """One of the course's data sets needs a download this server cannot make; ``instead`` names an offline
    table for the same task."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name
        self.instead = OFFLINE_INSTEAD[name]


@dataclass
class Table:
    frame: pd.DataFrame
    target: str
    name: str
    notes: list[str] = field(default_factory=list)
    read: dict = field(default_factory=dict)  # how a CSV was read: sep, decimal, encoding, header (for the program)


@dataclass(frozen=True)
class Source:
    title: str
    task: str  # "binary", "multiclass", "regression"; "" for your own CSV
    about: str
    origin: str  # where it comes from and its license
    offline: bool = True  # ships inside an installed package


SOURCES: dict[str, Source] = {
    "wine": Source(
        "Wine (3 cultivars, 13 measurements)",
        "multiclass",
        "178 Italian wines: alcohol, acids, phenols, colour... from three cultivars. The features' "
        "scales differ by a factor of 10,000 (proline against hue).",
        "Forina et al., UCI Machine Learning Repository, CC BY 4.0; shipped with scikit-learn.",
    ),
    "breast_cancer": Source(
        "Breast cancer (benign or malignant, 30 features)",
        "binary",
        "569 breast-mass images measured as 30 numbers: radius, texture, smoothness...",
        "Wolberg, Street and Mangasarian, Breast Cancer Wisconsin (Diagnostic), UCI Machine "
        "Learning Repository, CC BY 4.0; shipped with scikit-learn.",
    ),
    "diabetes": Source(
        "Diabetes progression (regression, 10 features)",
        "regression",
        "442 patients: age, sex, BMI, blood pressure and six blood serum measurements; the target "
        "is the disease's progression one year later.",
        "Efron, Hastie, Johnstone and Tibshirani (2004), Least Angle Regression; shipped with "
        "scikit-learn (BSD-3-Clause).",
    ),
    "iris": Source(
        "Iris (3 species, 4 measurements)",
        "multiclass",
        "150 irises: sepal and petal length and width, three species.",
        "Fisher (1936), UCI Machine Learning Repository, CC BY 4.0; shipped with scikit-learn.",
    ),
    "boston": Source(
        "Boston housing (regression, 13 features)",
        "regression",
        "506 Boston suburbs in the 1970s: crime rate, rooms, age, taxes...; the target is the median "
        "home price in $1,000s (Chollet's K-fold example). One feature (B) encodes the share of Black "
        "residents, a reason this set is now used with care.",
        "Harrison and Rubinfeld (1978), StatLib; downloaded by keras.datasets.boston_housing.",
        offline=False,
    ),
    "imdb": Source(
        "IMDB reviews (positive or negative)",
        "binary",
        f"Film reviews as multi-hot vectors: one column per word of the {WORDS:,} most frequent, 1 when "
        f"the review uses it. The first {IMDB_REVIEWS:,} training reviews.",
        "Maas et al. (2011), Large Movie Review Dataset; downloaded by keras.datasets.imdb.",
        offline=False,
    ),
    "reuters": Source(
        "Reuters newswires (46 topics)",
        "multiclass",
        f"11,228 newswires as multi-hot vectors of the {WORDS:,} most frequent words; 46 topics.",
        "Reuters-21578 (research use); downloaded by keras.datasets.reuters.",
        offline=False,
    ),
    "csv": Source("Your own CSV", "", "A table of your own: pick the column to predict.", "Yours."),
}
BUILT_IN = tuple(k for k in SOURCES if k != "csv")
# What a CSV for the Data lab looks like: one row per example, the column to predict among the others
EXAMPLE = pd.DataFrame({"area_m2": [72, 115, 48, 90], "rooms": [3, 5, 2, 4],
                        "district": ["north", "centre", "north", "south"], "garden": ["no", "yes", "no", "yes"],
                        "price_k": [210, 455, 150, 298]})  # fmt: skip
OFFLINE_INSTEAD = {"boston": "diabetes", "imdb": "breast_cancer", "reuters": "wine"}  # the same task, offline


def label(name: str) -> str:
    """A source's title for the table list, marked when it needs the internet (its file is not here yet)."""
    title = SOURCES[name].title
    return f"{title} · needs internet" if needs_download(name) else title


def needs_download(name: str) -> bool:
    """A course data set whose file Keras has not downloaded on this server yet."""
    if SOURCES[name].offline or name not in _KERAS:
        return False
    return not (keras_folder() / _KERAS[name][0]).exists()


def load(name: str) -> Table:
    """A named table (not ``csv``). Raises ``TableError`` when it needs a download this server cannot make."""
    if name in ("wine", "breast_cancer", "diabetes", "iris"):
        return _sklearn(name)
    if name in _KERAS:
        return _keras(name)
    raise TableError(f"There is no table called {name!r}.")


def _sklearn(name: str) -> Table:
    from sklearn import datasets as sk

    bunch = getattr(sk, f"load_{name}")(as_frame=True)
    frame = bunch.frame.copy()
    target = "target"
    if name in ("wine", "breast_cancer", "iris"):  # the class names, not 0/1/2
        names = np.asarray(bunch.target_names)
        label = {"wine": "cultivar", "breast_cancer": "diagnosis", "iris": "species"}[name]
        frame = frame.drop(columns="target")
        frame[label] = names[bunch.target.to_numpy()]
        target = label
    else:
        frame = frame.rename(columns={"target": "progression"})
        target = "progression"
    return Table(frame, target, SOURCES[name].title)


# --- the course's data sets, in Keras's own files -----------------------------------------------------
BOSTON_COLUMNS = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "B", "LSTAT"]
_KERAS = {  # file name in ~/.keras/datasets, where Keras downloads it from, and its SHA-256 (keras.datasets)
    "boston": ("boston_housing.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz",
               "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
    "imdb": ("imdb.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz",
             "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "reuters": ("reuters.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz",
                "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
}  # fmt: skip


def keras_folder() -> Path:
    """Where Keras keeps what it downloads (``KERAS_HOME``, else ~/.keras)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


CONNECT_TIMEOUT = 4.0  # seconds to reach the download server before calling it unreachable
RETRY_SECONDS = 300.0  # a failed download is not tried again in this process for this long
_unreachable: dict[str, tuple[float, str]] = {}  # download host -> (when it failed, why), for this process
_unreachable_lock = threading.Lock()


def reachable(host: str, port: int = 443, timeout: float = CONNECT_TIMEOUT) -> str | None:
    """None when a connection to ``host`` (or to the HTTPS proxy urllib would use) opens within ``timeout``
    seconds, name lookup included; else why not. ``urlretrieve``, which Keras downloads with, has no timeout:
    on a machine without a network it can wait for minutes in the name lookup or the connect."""
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(host):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = parts.hostname or host, parts.port or 8080
    outcome: dict[str, str] = {}

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome["ok"] = ""
        except OSError as error:  # "Temporary failure in name resolution", "Network is unreachable", "timed out"
            outcome["error"] = error.strerror or str(error) or type(error).__name__

    thread = threading.Thread(target=connect, name="dlviz-reachable", daemon=True)  # the lookup has no timeout
    thread.start()
    thread.join(timeout)
    if "ok" in outcome:
        return None
    return outcome.get("error") or f"no answer within {timeout:g} s"


def forget_failed_downloads() -> None:
    """Try downloads again at once (the process otherwise remembers a failure for ``RETRY_SECONDS``)."""
    with _unreachable_lock:
        _unreachable.clear()


def _offline(name: str, why: str, ago: float | None = None) -> OfflineError:
    when = "" if ago is None else f", {ago:.0f} s ago; it is tried again {RETRY_SECONDS / 60:g} minutes after a failure"
    return OfflineError(
        f"{SOURCES[name].title} is downloaded by Keras the first time it is used, and this server could not "
        f"download it ({why}{when}). Without internet, use one of the tables that ship with dlviz (Wine, "
        "Breast cancer, Diabetes, Iris) or your own CSV.",
        name,
    )


def _keras_download(fname: str, origin: str, file_hash: str, probe: Callable[[str], str | None] | None = None) -> str:
    """Keras's own download (``keras.utils.get_file``), tried only when its server answers within seconds."""
    why = (probe or reachable)(urllib.parse.urlsplit(origin).hostname or "")
    if why is not None:
        raise ConnectionError(why)
    from tensorflow import keras

    return keras.utils.get_file(fname, origin=origin, file_hash=file_hash)


def keras_file(name: str, fetch: Callable[..., str] | None = None, *,
               clock: Callable[[], float] = time.monotonic) -> Path:  # fmt: skip
    """The data set's file in Keras's folder, downloaded by Keras first when it is not there yet.

    Without internet this fails within ``CONNECT_TIMEOUT`` seconds, and the failure is remembered for
    ``RETRY_SECONDS``: every data set from that server then fails at once, instead of on every rerun."""
    fname, origin, digest = _KERAS[name]
    path = keras_folder() / fname
    if path.exists():
        return path
    host = urllib.parse.urlsplit(origin).hostname or ""
    with _unreachable_lock:
        failed = _unreachable.get(host)
    if failed is not None and clock() - failed[0] < RETRY_SECONDS:
        raise _offline(name, failed[1], clock() - failed[0])
    try:
        return Path((fetch or _keras_download)(fname, origin=origin, file_hash=digest))
    except Exception as error:  # no internet (URLError, socket errors, a proxy's page failing the hash)
        why = str(error) if isinstance(error, ConnectionError) and str(error) else type(error).__name__
        with _unreachable_lock:
            _unreachable[host] = (clock(), why)
        raise _offline(name, why) from None


def _keras(name: str, fetch: Callable[..., str] | None = None) -> Table:
    path = keras_file(name, fetch)
    try:
        with np.load(path, allow_pickle=True) as data:  # Keras's own file in Keras's own folder, not an upload
            arrays = {k: data[k] for k in data.files}
    except Exception:
        raise TableError(f"Keras's file {path} cannot be read; delete it and it will be downloaded again.") from None
    if name == "boston":
        x, y = arrays["x"], arrays["y"]
        frame = pd.DataFrame(np.asarray(x, np.float64), columns=BOSTON_COLUMNS)
        frame["price"] = np.asarray(y, np.float64)
        return Table(frame, "price", SOURCES[name].title)
    if name == "imdb":
        sequences, labels = arrays["x_train"][:IMDB_REVIEWS], arrays["y_train"][:IMDB_REVIEWS]
        frame = multi_hot(sequences)
        frame["sentiment"] = np.where(np.asarray(labels) == 1, "positive", "negative")
        return Table(frame, "sentiment", SOURCES[name].title)
    sequences, labels = arrays["x"], arrays["y"]
    frame = multi_hot(sequences)
    frame["topic"] = np.asarray(labels, np.int64)
    return Table(frame, "topic", SOURCES[name].title, notes=["Topics are numbered 0-45, as Keras numbers them."])


def multi_hot(sequences, words: int = WORDS) -> pd.DataFrame:
    """One column per word rank 1..words-1 (Keras's files number words by frequency, 1 the most frequent)."""
    out = np.zeros((len(sequences), words), np.float32)
    for row, seq in enumerate(sequences):
        seq = np.asarray(seq, np.int64)
        out[row, seq[(seq > 0) & (seq < words)]] = 1.0
    return pd.DataFrame(out[:, 1:], columns=[f"word_{i}" for i in range(1, words)])


# --- your own CSV -------------------------------------------------------------------------------------
ENCODINGS = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def read_csv(data: bytes, filename: str = "your file") -> Table:
    """Read an uploaded CSV whatever its separator, encoding and header, or say plainly why not."""
    if not data or not data.strip():
        raise TableError("The file is empty.")
    _refuse_binary(data)
    text, encoding = _decode(data)
    notes: list[str] = []
    if encoding != "utf-8":
        notes.append(f"Read as {ENCODINGS[encoding]} (not UTF-8).")
    sample = "\n".join(text.splitlines()[:50])
    sep = _separator(sample)
    if sep != ",":
        notes.append(f"Columns separated by {SEPARATORS[sep]}.")
    decimal = "," if sep == ";" and _decimal_commas(sample) else "."
    if decimal == ",":
        notes.append("Decimal commas (1,5 for one and a half).")
    header = _has_header(sample, sep)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, header=0 if header else None,
                            skipinitialspace=True, nrows=MAX_ROWS + 1, on_bad_lines="skip",
                            low_memory=False)  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as error:
        raise TableError(f"{filename} cannot be read as a table: {str(error).splitlines()[0][:200]}") from None
    if not header:
        frame.columns = column_names(frame.shape[1])
        notes.append("No header row: the columns are named column 1, column 2, ...")
    elif len(set(raw := next(csv.reader(io.StringIO(sample), delimiter=sep)))) < len(raw):
        notes.append("Some columns have the same name: the repeats are called name.1, name.2, ... here.")
    if frame.shape[1] > MAX_COLUMNS:
        raise TableError(f"The table has {frame.shape[1]:,} columns; the Data lab reads up to {MAX_COLUMNS}.")
    if len(frame) > MAX_ROWS:
        frame = frame.iloc[:MAX_ROWS]
        notes.append(f"Only the first {MAX_ROWS:,} rows are used (a session keeps its table in memory).")
    if frame.shape[1] < 2:
        raise TableError("The table has one column. It needs at least two: what to predict and something to "
                         f"predict it from. (Is it separated by something other than {', '.join(map(repr, SEPARATORS))}?)")  # fmt: skip
    if len(frame) < MIN_ROWS:
        raise TableError(f"The table has {len(frame)} row{'s' if len(frame) != 1 else ''}; training, validation "
                         f"and test need at least {MIN_ROWS}.")  # fmt: skip
    read = {"sep": sep, "decimal": decimal, "encoding": encoding, "header": header}
    return Table(frame, str(frame.columns[-1]), filename, notes, read)


def column_names(n: int) -> list[str]:
    """The names of a header-less table's columns."""
    return [f"column {i + 1}" for i in range(n)]


_MAGIC = {
    b"PK\x03\x04": "a spreadsheet or another zipped file (Excel .xlsx, LibreOffice .ods)",
    b"\xd0\xcf\x11\xe0": "an old Excel spreadsheet (.xls)",
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG picture",
    b"\xff\xd8\xff": "a JPEG picture",
    b"\x1f\x8b": "a gzip-compressed file",
}


def _refuse_binary(data: bytes) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            hint = " Save it as CSV (File, Save as, CSV) and upload that." if "spreadsheet" in what else ""
            raise TableError(f"This is {what}, not a CSV text file.{hint}")
    head = data[:8192]
    if b"\x00" in head:
        raise TableError("This is not a text file (it holds binary data), so it is not a CSV.")


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"  # a byte-order mark is dropped
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"  # Windows' Western European, the usual non-UTF-8 CSV
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"  # every byte is a character


def _separator(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        counts = {sep: sample.count(sep) for sep in SEPARATORS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _decimal_commas(sample: str) -> bool:
    import re

    return len(re.findall(r"(?<![\d,])\d+,\d+(?![\d,])", sample)) >= 3


def _number(cell: str) -> bool:
    try:
        float(cell.replace(",", "."))
        return True
    except ValueError:
        return False


def _has_header(sample: str, sep: str) -> bool:
    """A header unless the first row looks like the rows under it: numbers where they have numbers."""
    rows = [r for r in csv.reader(io.StringIO(sample), delimiter=sep) if r]
    if len(rows) < 2:
        return True
    first, rest = rows[0], rows[1:]
    numeric_below = [all(_number(r[i].strip()) for r in rest if i < len(r) and r[i].strip()) for i in range(len(first))]
    first_numeric = [_number(c.strip()) for c in first]
    # the first row's cells are numbers where every row below has numbers: data, not a header
    return not any(nb for nb in numeric_below) or not all(
        fn for fn, nb in zip(first_numeric, numeric_below, strict=False) if nb
    )
