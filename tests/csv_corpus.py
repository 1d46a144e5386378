"""Odd and hostile CSV files for the Data lab, generated (never hand-collected): ``python tests/csv_corpus.py``
writes them to tests/data/csv/. The files too large to keep in the repository are made by the tests."""

import io
import zipfile
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).parent / "data" / "csv"


def _table(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).round(3)
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    return x, y


def _rows(header: list[str], rows: list[list], sep: str = ",") -> str:
    return "\n".join([sep.join(header), *(sep.join(str(v) for v in row) for row in rows)]) + "\n"


def corpus() -> dict[str, bytes]:
    x, y = _table()
    plain = [[*r, c] for r, c in zip(x.tolist(), y.tolist(), strict=True)]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        for name, body in (("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>")):
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), body)  # the same bytes every time
    labels = ["setosa", "versicolor", "virginica"]
    rng = np.random.default_rng(1)
    return {
        "plain.csv": _rows(["a", "b", "c", "label"], plain).encode(),
        "semicolons-decimal-commas.csv": _rows(
            ["a", "b", "c", "label"], [[str(v).replace(".", ",") for v in r[:3]] + [r[3]] for r in plain], ";"
        ).encode(),
        "tabs.csv": _rows(["a", "b", "c", "label"], plain, "\t").encode(),
        "latin1.csv": _rows(
            ["température", "pression", "ville", "qualité"],
            [
                [r[0], r[1], ["Besançon", "Orléans", "Nîmes"][i % 3], ["bon", "mauvais"][r[3]]]
                for i, r in enumerate(plain)
            ],
        ).encode("latin-1"),  # fmt: skip
        "bom.csv": b"\xef\xbb\xbf" + _rows(["a", "b", "c", "label"], plain).encode(),
        "quoted-commas.csv": _rows(
            ["a", "b", "town", "label"],
            [[r[0], r[1], '"Paris, France"' if i % 2 else '"Lyon, France"', r[3]] for i, r in enumerate(plain)],
        ).encode(),
        "no-header.csv": "\n".join(",".join(str(v) for v in r) for r in plain).encode() + b"\n",
        "one-column.csv": _rows(["value"], [[v] for v in x[:, 0].tolist()]).encode(),
        "one-row.csv": _rows(["a", "b", "label"], [[1, 2, 0]]).encode(),
        "header-only.csv": b"a,b,label\n",
        "empty.csv": b"",
        "constant-target.csv": _rows(["a", "b", "label"], [[r[0], r[1], 1] for r in plain]).encode(),
        "hundreds-of-classes.csv": _rows(
            ["a", "b", "label"], [[i, rng.normal(), f"class {i}"] for i in range(400)]
        ).encode(),  # fmt: skip
        "empty-column.csv": _rows(["a", "nothing", "b", "label"], [[r[0], "", r[1], r[3]] for r in plain]).encode(),
        "infinities.csv": _rows(
            ["a", "b", "label"],
            [[("inf" if i == 3 else "-inf" if i == 7 else r[0]), r[1], r[3]] for i, r in enumerate(plain)],
        ).encode(),
        "duplicate-names.csv": _rows(["a", "a", "b", "label"], [[r[0], r[1], r[2], r[3]] for r in plain]).encode(),
        "text-labels.csv": _rows(
            ["sepal", "petal", "species"], [[r[0], r[1], labels[i % 3]] for i, r in enumerate(plain)]
        ).encode(),  # fmt: skip
        "dates.csv": _rows(
            ["day", "a", "label"],
            [[f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", r[0], r[3]] for i, r in enumerate(plain)],
        ).encode(),  # fmt: skip
        "ids-and-text.csv": _rows(
            ["id", "comment", "a", "b", "label"],
            [[1000 + i, f"free text number {i} about something", r[0], r[1], r[3]] for i, r in enumerate(plain)],
        ).encode(),
        "missing-values.csv": _rows(
            ["a", "b", "colour", "label"],
            [
                [
                    ("" if i % 7 == 0 else r[0]),
                    r[1],
                    ("" if i % 5 == 0 else ["red", "green"][i % 2]),
                    ("" if i == 4 else r[3]),
                ]
                for i, r in enumerate(plain)
            ],
        ).encode(),  # fmt: skip
        "regression.csv": _rows(
            ["a", "b", "c", "price"], [[*r[:3], round(3 * r[0] - r[1] + 0.1 * r[2], 3)] for r in plain]
        ).encode(),  # fmt: skip
        "html-names.csv": _rows(
            ['<b onmouseover="alert(1)">bold</b>', "<script>alert(1)</script>", "label"],
            [[r[0], r[1], ["<i>x</i>", "**y**"][r[3]]] for r in plain],
        ).encode(),  # fmt: skip
        # One-hot names and class names that agree in their first 20 characters: cut short, they must stay apart.
        "long-names.csv": _rows(
            ["customer_satisfaction_score_category", "a", "b", "outcome"],
            [
                [
                    ["customer_satisfaction_high", "customer_satisfaction_low"][i % 2],
                    r[0],
                    r[1],
                    ["renewed_the_contract_after_one_year", "renewed_the_contract_after_two_years"][r[3]],
                ]
                for i, r in enumerate(plain)
            ],
        ).encode(),  # fmt: skip
        "binary.csv": bytes(range(256)) * 8,
        "spreadsheet.csv": zipped.getvalue(),
    }


if __name__ == "__main__":
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, data in corpus().items():
        (FOLDER / name).write_bytes(data)
    print(f"wrote {len(corpus())} files to {FOLDER}")
