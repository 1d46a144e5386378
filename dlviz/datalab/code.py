"""The Data lab's runnable Keras programs, written from the same settings and column plan the page trains from.

``program`` reads the table's CSV with pandas, prepares it as ``dlviz.datalab.prep`` does (the same pandas
calls), builds the network in ``engine.build_model``'s order from the same seed, trains it with ``fit`` and
``EarlyStopping``, and evaluates the test set once. Without per-epoch shuffling it reproduces the page's
figures. ``predict_program`` loads a downloaded ``.keras`` file and predicts on new rows.
"""

from __future__ import annotations

from dlviz.core.keras_code import number_literal, optimizer_code
from dlviz.datalab import prep
from dlviz.datalab.engine import DataLabSettings, Prepared, loss_name, metric_name


def _read_call(data: Prepared, csv_name: str) -> str:
    read = data.table.read
    args = [repr(csv_name)]
    if read.get("sep", ",") != ",":
        args.append(f"sep={read['sep']!r}")
    if read.get("decimal", ".") != ".":
        args.append(f"decimal={read['decimal']!r}")
    if read.get("encoding", "utf-8") != "utf-8":
        args.append(f"encoding={read['encoding']!r}")
    if read and not read.get("header", True):
        args.append(f"header=None, names={list(data.table.frame.columns)!r}")
    if read:
        args.append("skipinitialspace=True")
    return f"frame = pd.read_csv({', '.join(args)})"


def _layers(s: DataLabSettings, task: str, n_outputs: int) -> list[str]:
    lines = ["keras.Input(shape=(x_train.shape[1],)),"]
    if s.normalize:
        lines.append("normalizer,")
    for units in s.layers:
        reg = f", kernel_regularizer=keras.regularizers.L2({number_literal(s.l2)})" if s.l2 > 0 else ""
        lines.append(f'layers.Dense({units}, activation="{s.activation}"{reg}),')
        if s.batchnorm:
            lines.append("layers.BatchNormalization(),")
        if s.dropout > 0:
            lines.append(f"layers.Dropout({number_literal(s.dropout)}),")
    if task == "binary":
        lines.append('layers.Dense(1, activation="sigmoid"),')
    elif task == "multiclass":
        lines.append(f'layers.Dense({n_outputs}, activation="softmax"),  # one output per class')
    else:
        lines.append("layers.Dense(1),  # no activation: any number")
    return lines


def _prepare_lines(data: Prepared, s: DataLabSettings) -> list[str]:
    """The program's data preparation, step for step as ``prep`` does it."""
    plan, n = data.plan, len(data.frame)
    target = plan.target
    out = [f"TARGET = {target!r}"]
    if data.task == "regression":
        out += ["frame[TARGET] = pd.to_numeric(frame[TARGET], errors=\"coerce\")",
                "frame = frame[np.isfinite(frame[TARGET])].reset_index(drop=True)  # rows without a target are left out"]  # fmt: skip
    else:
        out += ["frame = frame[frame[TARGET].notna()].reset_index(drop=True)  # rows without a target are left out"]
    out += [f"NUMBERS = {plan.numbers!r}  # standardized by the model's Normalization layer",
            f"CATEGORIES = {plan.categories!r}  # one-hot encoded"]  # fmt: skip
    for name, why in plan.dropped.items():
        out.append(f"# dropped: {name!r} ({why})")
    n_test, n_val = len(data.split.test), len(data.split.val)
    out += [
        "",
        f"# One shuffle splits the {n} rows: {n_test} for the test, {n_val} for validation, the rest for training.",
        "order = np.random.default_rng(SEED).permutation(len(frame))",
        f"test_rows, val_rows, train_rows = order[:{n_test}], order[{n_test}:{n_test + n_val}], order[{n_test + n_val}:]",
        "",
        "numbers = frame[NUMBERS].apply(pd.to_numeric, errors=\"coerce\").replace([np.inf, -np.inf], np.nan)",
        "numbers = numbers.fillna(numbers.iloc[train_rows].median().fillna(0.0))  # missing: the training rows' median",
        "parts = [numbers.astype(\"float32\")]",
        "if CATEGORIES:  # a missing category is a category of its own",
        f"    categories = frame[CATEGORIES].astype(\"string\").fillna({prep.MISSING!r})",
        "    parts.append(pd.get_dummies(categories, columns=CATEGORIES, dtype=\"float32\"))",
        "x = np.concatenate([part.to_numpy(np.float32) for part in parts], axis=1)",
    ]  # fmt: skip
    if data.task == "regression":
        out.append("y = frame[TARGET].to_numpy(np.float32)")
    else:
        out += ["classes = sorted(frame[TARGET].unique())",
                "y = frame[TARGET].map({c: i for i, c in enumerate(classes)}).to_numpy()  # class numbers 0, 1, ..."]  # fmt: skip
        if data.task == "multiclass" and s.class_loss == "categorical":
            out.append(
                "y = keras.utils.to_categorical(y, len(classes))  # one-hot targets for categorical cross-entropy"
            )
    out += ["x_train, y_train = x[train_rows], y[train_rows]",
            "x_val, y_val = x[val_rows], y[val_rows]",
            "x_test, y_test = x[test_rows], y[test_rows]  # evaluated once, at the end"]  # fmt: skip
    return out


def program(s: DataLabSettings, data: Prepared, csv_name: str = "table.csv", epochs: int | None = None) -> str:
    """The page's whole training as a Keras program that reads ``csv_name``."""
    epochs = s.epochs if epochs is None else epochs
    task, metric = data.task, metric_name(data.task)
    layers = "\n".join("    " + line for line in _layers(s, task, data.n_outputs))
    normalizer = ""
    if s.normalize:
        normalizer = ("normalizer = layers.Normalization()\n"
                      "normalizer.adapt(x_train)  # the training rows' mean and variance alone\n")  # fmt: skip
    callbacks, stopper = "[]", ""
    if s.early_stopping:
        stopper = (f"early_stopping = keras.callbacks.EarlyStopping(\n    monitor=\"val_loss\", patience={s.patience}, "
                   f"min_delta={number_literal(s.min_delta)}, restore_best_weights={s.restore_best},\n)\n")  # fmt: skip
        callbacks = "[early_stopping]"
    shuffle = "" if s.shuffle else ", shuffle=False"
    shuffle_note = ("# shuffle=False: the rows were shuffled once when split; this reproduces the Data lab's figures\n"
                    if not s.shuffle else "# fit shuffles the rows every epoch: figures differ a little from run to run\n")  # fmt: skip
    prepare = "\n".join(_prepare_lines(data, s))
    return f'''"""{data.table.name}: predict {data.plan.target!r} ({prep.TASKS[task]}), written by the dlviz Data lab."""

import numpy as np
import pandas as pd
from tensorflow import keras
from tensorflow.keras import layers

SEED = {s.seed}
keras.utils.set_random_seed(SEED)

{_read_call(data, csv_name)}
{prepare}

{normalizer}model = keras.Sequential([
{layers}
])
model.compile(
    optimizer={optimizer_code(s.optimizer, s.lr)},
    loss="{loss_name(s, task)}",
    metrics=["{metric}"],
)
model.summary()

{stopper}{shuffle_note}history = model.fit(
    x_train, y_train, validation_data=(x_val, y_val),
    epochs={epochs}, batch_size={s.batch}{shuffle}, callbacks={callbacks}, verbose=0,
)
print(f"trained {{len(history.history['loss'])}} epochs")

test_loss, test_{metric} = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {{test_loss:.4f}}, test {metric} {{test_{metric}:.4f}}")
model.save("model.keras")
'''


def predict_program(s: DataLabSettings, data: Prepared) -> str:
    """A program that loads the downloaded ``model.keras`` and predicts on new rows of the same columns."""
    plan, enc = data.plan, data.encoded
    medians = {k: round(v, 6) for k, v in enc.medians.items()}
    if data.task == "regression":
        show = f'print(pd.DataFrame({{"predicted {plan.target}": out[:, 0]}}))'
    elif data.task == "binary":
        show = (f"classes = {data.classes!r}\n"
                "print(pd.DataFrame({\"predicted\": [classes[int(p > 0.5)] for p in out[:, 0]], "
                "\"probability of \" + classes[1]: out[:, 0]}))")  # fmt: skip
    else:
        show = (f"classes = {data.classes!r}\n"
                "print(pd.DataFrame({\"predicted\": [classes[i] for i in out.argmax(axis=1)], "
                "\"probability\": out.max(axis=1)}))")  # fmt: skip
    return f'''"""Predict {plan.target!r} for new rows with the model trained in the dlviz Data lab (model.keras)."""

import numpy as np
import pandas as pd
from tensorflow import keras

model = keras.models.load_model("model.keras")  # its Normalization layer scales the features itself

NUMBERS = {plan.numbers!r}
CATEGORIES = {plan.categories!r}
MEDIANS = {medians!r}  # missing numbers get the training rows' median
COLUMNS = {enc.columns!r}  # the features, in the order the model reads them

new_rows = pd.read_csv("new_rows.csv")  # the same columns as the training table (the target may be missing)
numbers = new_rows[NUMBERS].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
numbers = numbers.fillna(MEDIANS)
hot = pd.get_dummies(new_rows[CATEGORIES].astype("string").fillna({prep.MISSING!r}), columns=CATEGORIES, dtype="float32")
x = pd.concat([numbers, hot], axis=1).reindex(columns=COLUMNS, fill_value=0.0).to_numpy(np.float32)
out = model.predict(x, verbose=0)
{show}
'''
