"""Handwritten digits: the shipped CNN, canvas preprocessing the MNIST way, and prediction."""

from __future__ import annotations

import functools
import io
import os
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from scipy import ndimage  # noqa: E402
from tensorflow import keras  # noqa: E402

from dlviz.core import pacing  # noqa: E402
from dlviz.core.models import seeded  # noqa: E402
from dlviz.core.settings import choice, number  # noqa: E402
from dlviz.digits.variants import VARIANTS  # noqa: E402

ASSETS = Path(__file__).resolve().parents[2] / "assets"
MODEL_PATH = ASSETS / "models" / "digits_cnn.keras"
SUBSET_PATH = ASSETS / "data" / "mnist_subset.npz"


def cnn() -> keras.Sequential:
    """The shipped digit classifier: two Conv2D blocks, then Dense layers, in the course's style."""
    with seeded(0):
        return _cnn()


def _cnn() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.4),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.4),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="digits_cnn",
    )


def save_for_inference(model: keras.Model, path: Path) -> None:
    """Save architecture and weights only: an uncompiled copy carries no optimizer state."""
    fresh = cnn()
    fresh.set_weights(model.get_weights())
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh.save(path)


# --- preprocessing: a drawing becomes an MNIST-like 28 x 28 image --------------------------------
# MNIST digits were size-normalised to fit a 20 x 20 box (keeping their aspect
# ratio), anti-aliased, and centred by their centre of mass in a 28 x 28 field.
# A canvas drawing must go through the same steps, or a digit drawn small or
# off-centre looks nothing like what the network was trained on.

MAX_SIDE = 4096  # larger inputs are refused, not resized
INK_LEVEL = 0.2  # ink darker than this (0..1) counts as background
SPECK_SHARE = 0.05  # a separate blot with less of the ink than this is a slip of the pen
# MNIST strokes are 2.1-3.7 px wide in the 20 x 20 box (10th-90th percentile,
# median 2.6, measured as 2 x area / perimeter); drawings outside that range
# are brought to the median, so a fine pen and a fat finger read alike.
STROKE_RANGE = (2.1, 3.7)
STROKE_TARGET = 2.6
WORK_SIDE = 80  # crops are shrunk to this before the stroke work: 4x the 20 x 20 box is plenty
# A dot or a tiny tick is not a digit, but the network would still read one (a dot as a 0, a tick as an 8,
# "99% sure"). The pen must travel at least this share of the canvas side: about 17 px on the 280 px canvas.
# A tick of 15 px travels 0.04 of it; a small 1 drawn 40 px tall with the thinnest pen (6 px) travels 0.12
# and reads as a 1, and so does a 1 only 30 px tall with a 10 px pen (0.07).
MIN_TRAVEL = 1 / 16
CANVAS_SIDE = 280  # the drawing square, in CSS pixels: fits a 390 px phone
PROJECTOR_CANVAS_SIDE = 420  # larger on the wall


@dataclass(frozen=True)
class Steps:
    """Every stage of the MNIST recipe, for the page to show."""

    ink: np.ndarray  # the whole drawing as ink in [0, 1], 1 = stroke
    cropped: np.ndarray  # the ink's bounding box (specks removed)
    fitted: np.ndarray  # scaled to fit 20 x 20, aspect kept
    centred: np.ndarray  # (28, 28) float32, placed by its centre of mass
    travel: float = 1.0  # how far the pen went, as a share of the canvas side (see pen_travel)

    @property
    def enough_ink(self) -> bool:
        """False for a dot or a tiny tick: too little to be read as a digit."""
        return self.travel >= MIN_TRAVEL


def pen_width(stroke: int, side: int) -> int:
    """The pen width on a ``side``-pixel canvas for a width chosen on the 280 px one, so strokes scale with it."""
    return max(1, round(stroke * side / CANVAS_SIDE))


def to_ink(image) -> np.ndarray:
    """Ink in [0, 1] (1 = stroke) from a canvas RGBA, RGB or grey image of any common dtype.

    Strokes on a transparent background show in the alpha channel; on an
    opaque image the background is whichever of light or dark fills the
    border, and the ink is the other.
    """
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"expected an image array of numbers, got dtype {arr.dtype}")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise ValueError(f"expected an H x W grey, H x W x 3 RGB or H x W x 4 RGBA image, got shape {arr.shape}")
    if min(arr.shape[:2]) < 1 or max(arr.shape[:2]) > MAX_SIDE:
        raise ValueError(f"image sides must be 1 to {MAX_SIDE} pixels, got {arr.shape[:2]}")
    if arr.ndim == 3 and arr.shape[-1] == 4:
        alpha = _unit(arr[..., 3])
        if alpha.min() < 0.99:  # transparent background: the strokes are what was painted
            return alpha
        arr = arr[..., :3]
    grey = _unit(arr @ np.array([0.299, 0.587, 0.114], np.float32) if arr.ndim == 3 else arr, like=arr)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    return 1.0 - grey if np.median(border) > 0.5 else grey


def _unit(values: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """Pixel values as float32 in [0, 1]: integers (and floats above 1) count as 0..255."""
    source = values if like is None else like
    out = np.nan_to_num(values.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    if np.issubdtype(source.dtype, np.integer) or source.dtype == bool or out.max(initial=0) > 1.0:
        out = out / (1.0 if source.dtype == bool else 255.0)
    return np.clip(out, 0.0, 1.0)


def _without_specks(ink: np.ndarray) -> np.ndarray:
    """Drop separate blots that carry only a sliver of the ink (a slipped pen)."""
    labels, count = ndimage.label(ink > INK_LEVEL, structure=np.ones((3, 3)))
    if count <= 1:
        return ink
    mass = ndimage.sum(ink, labels, index=np.arange(1, count + 1))
    keep = np.flatnonzero((mass >= SPECK_SHARE * mass.sum()) | (mass == mass.max())) + 1
    # Keep the faint anti-aliased rim around kept strokes too.
    kept = ndimage.binary_dilation(np.isin(labels, keep), iterations=2)
    return np.where(kept, ink, 0.0)


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: 2 x area / perimeter of the inked shape."""
    mask = ink > 0.5
    perimeter = (mask & ~ndimage.binary_erosion(mask)).sum()
    return 2.0 * mask.sum() / max(int(perimeter), 1)


def pen_travel(cropped: np.ndarray, side: int) -> float:
    """How far the pen went, as a share of ``side``: the ink's longer extent less the widest stroke.

    A dot is as long as it is wide (0), a stroke of length L is L plus one pen width, whatever the pen.
    The widest stroke is twice the largest distance from an inked pixel to the background.
    """
    mask = np.pad(cropped > 0.5, 1)
    widest = 2.0 * float(ndimage.distance_transform_edt(mask).max()) if mask.any() else 0.0
    return max(0.0, max(cropped.shape) - widest) / max(side, 1)


def _crop(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero((ink > INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((ink > INK_LEVEL).any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _even_strokes(cropped: np.ndarray) -> np.ndarray:
    """Thicken thin strokes or thin fat ones to MNIST's width, measured in the 20 x 20 box."""
    scale = 20.0 / max(cropped.shape)
    width = stroke_width(cropped) * scale
    if STROKE_RANGE[0] <= width <= STROKE_RANGE[1]:
        return cropped
    radius = abs(STROKE_TARGET - width) / 2 / scale
    size = 2 * int(round(radius)) + 1
    if size < 3:
        return cropped
    disk = np.hypot(*np.mgrid[-(size // 2) : size // 2 + 1, -(size // 2) : size // 2 + 1]) <= size / 2
    if width < STROKE_RANGE[0]:
        padded = np.pad(cropped, size // 2)
        return _crop(ndimage.grey_dilation(padded, footprint=disk))
    thinner = ndimage.grey_erosion(cropped, footprint=disk)
    # Never erase a stroke altogether: thin only when most of the ink survives.
    return _crop(thinner) if (thinner > INK_LEVEL).sum() > 0.2 * (cropped > INK_LEVEL).sum() else cropped


def _resize(ink: np.ndarray, scale: float) -> np.ndarray:
    """Shrink with area averaging (anti-aliased, as MNIST's fitting was)."""
    h, w = ink.shape
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray(ink.astype(np.float32), mode="F").resize(size, Image.Resampling.BOX)
    return np.clip(np.asarray(small), 0.0, 1.0)


def preprocess_steps(image) -> Steps | None:
    """The MNIST recipe step by step, or None when there is no ink (see ``Steps.enough_ink`` for too little)."""
    ink = to_ink(image)
    if (ink > INK_LEVEL).sum() < 2:
        return None
    cropped = _crop(_without_specks(ink))
    travel = pen_travel(cropped, max(ink.shape))
    if max(cropped.shape) > WORK_SIDE:
        cropped = _resize(cropped, WORK_SIDE / max(cropped.shape))
    cropped = _even_strokes(cropped)
    h, w = cropped.shape
    scale = 20.0 / max(h, w)
    fitted = _resize(cropped, scale)
    cy, cx = ndimage.center_of_mass(fitted)
    top = int(np.clip(round(14 - cy), 0, 28 - fitted.shape[0]))
    left = int(np.clip(round(14 - cx), 0, 28 - fitted.shape[1]))
    centred = np.zeros((28, 28), np.float32)
    centred[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    peak = centred.max()
    if peak > 0:
        centred = centred / peak
    return Steps(ink, cropped, fitted.astype(np.float32), centred.astype(np.float32), travel)


def preprocess(image) -> np.ndarray | None:
    """A drawing as the network expects it: (28, 28) float32 in [0, 1], or None when empty or too little ink."""
    steps = preprocess_steps(image)
    return None if steps is None or not steps.enough_ink else steps.centred


def naive_shrink(ink: np.ndarray) -> np.ndarray:
    """What many demos do: shrink the whole canvas (as ink) to 28 x 28, wherever and however small the digit is."""
    small = np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").resize((28, 28), Image.Resampling.BOX))
    peak = small.max()
    return (small / peak if peak > 0 else small).astype(np.float32)


# --- the shared classifier -------------------------------------------------------------------


class Classifier:
    """A Keras digit model behind one compiled function, safe to call from many sessions at once.

    ``model.predict`` costs ~50 ms a call and has thread-safety bugs
    (tensorflow issue 61298); a compiled call costs a few milliseconds.
    It returns the probabilities and every convolution's feature maps.

    XLA, because in a Streamlit server the first call of every script run
    through a plain ``tf.function`` cost 60-80 ms (measured; eager calls
    and ``predict_on_batch`` too), while the XLA-compiled one stayed at 3 ms.
    """

    def __init__(self, model: keras.Model):
        import tensorflow as tf

        self.model = model
        self.conv_layers = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]

        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)], jit_compile=True)
        def forward(x):
            maps, h = [], x
            for layer in model.layers:
                h = layer(h, training=False)
                if layer in self.conv_layers:
                    maps.append(h)
            return h, maps

        self._forward = forward
        self._forward(np.zeros((1, 28, 28, 1), np.float32))  # trace now, not in a session's first call

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(n, 28, 28) images in [0, 1] -> (n, 10) probabilities."""
        probs, _ = self._forward(np.asarray(images, np.float32).reshape(-1, 28, 28, 1))
        return probs.numpy()

    def feature_maps(self, image28: np.ndarray) -> list[np.ndarray]:
        """One (h, w, channels) array per convolutional layer for one 28 x 28 image."""
        _, maps = self._forward(np.asarray(image28, np.float32).reshape(1, 28, 28, 1))
        return [m.numpy()[0] for m in maps]


NOT_SURE = 0.6  # below this top probability the network is said to be unsure


@dataclass(frozen=True)
class Reading:
    """What a network's ten probabilities say: the digit, how sure, and the runner-up when it is unsure."""

    digit: int
    confidence: float
    second: int | None  # only when confidence < NOT_SURE

    @property
    def sure(self) -> str:
        return f"{self.confidence:.0%}"


def reading(probabilities) -> Reading:
    probs = np.asarray(probabilities, np.float64)
    order = np.argsort(probs)
    top = int(order[-1])
    return Reading(top, float(probs[top]), int(order[-2]) if probs[top] < NOT_SURE else None)


def shown_maps(maps: np.ndarray, most: int = 16) -> list[np.ndarray]:
    """The first ``most`` channels of one layer's (h, w, c) maps, each scaled to its own maximum."""
    return [maps[..., c] / (maps[..., c].max() or 1) for c in range(min(maps.shape[-1], most))]


def load_classifier(path: Path = MODEL_PATH) -> Classifier:
    with seeded(0):  # loading builds layers, which draw seeds from the global generator
        model = keras.models.load_model(path, compile=False)
    return Classifier(model)


@functools.cache
def default_classifier() -> Classifier:
    """The shipped model for library callers (the page keeps its own in st.cache_resource)."""
    return load_classifier()


def as_model_input(image) -> np.ndarray:
    """A (28, 28) float image for the network from a drawing or an MNIST-style 28 x 28 array."""
    if image is None:
        raise ValueError("no image: draw a digit first")
    arr = np.asarray(image)
    if arr.shape == (28, 28) and np.issubdtype(arr.dtype, np.number):
        values = arr.astype(np.float32)
        if np.issubdtype(arr.dtype, np.integer) or values.max(initial=0) > 1.0:
            values = values / 255.0
        return np.clip(np.nan_to_num(values), 0.0, 1.0)
    steps = preprocess_steps(arr)
    if steps is None:
        raise ValueError("the drawing is empty: draw a digit first")
    if not steps.enough_ink:
        raise ValueError("too little ink to read: draw a whole digit")
    return steps.centred


def predict(image, classifier: Classifier | None = None) -> np.ndarray:
    """(10,) probabilities for a canvas drawing (H x W x 4), a grey or RGB image, or a 28 x 28 digit."""
    ready = as_model_input(image)
    return (classifier or default_classifier()).probabilities(ready[None])[0]


def load_subset(path: Path = SUBSET_PATH) -> dict[str, np.ndarray]:
    """The small MNIST sample shipped in assets/ (train and test parts)."""
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


# --- "Train your own": the course's first networks on the shipped sample -----------------------

OWN_KINDS = {
    "dense": "Dense: Flatten, Dense 128, Dense 10",
    "cnn": "Small CNN: Conv2D 16, MaxPooling2D, Dense 64",
}
OWN_LEARNING_RATES = {"adam": 0.001, "rmsprop": 0.001, "sgd": 0.1, "momentum": 0.01}


def own_model(kind: str, seed: int = 0) -> keras.Sequential:
    with seeded(seed):
        if kind == "dense":
            return keras.Sequential(
                [
                    keras.Input(shape=(28, 28, 1)),
                    keras.layers.Flatten(),
                    keras.layers.Dense(128, activation="relu"),
                    keras.layers.Dense(10, activation="softmax"),
                ],
                name="dense",
            )
        if kind == "cnn":
            return keras.Sequential(
                [
                    keras.Input(shape=(28, 28, 1)),
                    keras.layers.Conv2D(16, 3, activation="relu"),
                    keras.layers.MaxPooling2D(2),
                    keras.layers.Flatten(),
                    keras.layers.Dense(64, activation="relu"),
                    keras.layers.Dense(10, activation="softmax"),
                ],
                name="small_cnn",
            )
    raise ValueError(f"unknown network kind {kind!r}")


OWN_DATA = {"mnist": "5,000 MNIST digits", "upload": "Your own digits (.npz): a room's drawings"}
MAX_UPLOAD_BYTES = 20_000_000
MAX_UPLOAD_DIGITS = 20_000
MIN_UPLOAD_DIGITS = 10


class BadDigits(ValueError):
    """An uploaded digit file that cannot be trained on; the message says why, for the participant."""


def read_digits_npz(raw: bytes) -> dict[str, np.ndarray]:
    """Digits uploaded as an ``.npz`` in MNIST's layout (the Class page's export writes one): ``x_train``
    (n, 28, 28) with 0-255 ink on 0 paper and ``y_train`` (n,) digits, optionally ``x_test`` and ``y_test``.

    Returns uint8 arrays under the same names; raises ``BadDigits`` with a plain reason otherwise.
    """
    import zipfile

    if len(raw) > MAX_UPLOAD_BYTES:
        raise BadDigits(f"That file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k in ("x_train", "y_train", "x_test", "y_test")}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise BadDigits("That is not a NumPy .npz file (the Class page's export writes one).") from e
    if "x_train" not in arrays or "y_train" not in arrays:
        raise BadDigits("The file needs arrays named x_train (the pictures) and y_train (their digits), as MNIST's.")
    out = {}
    for part in ("train", "test"):
        if f"x_{part}" not in arrays:
            continue
        x, y = arrays[f"x_{part}"], arrays.get(f"y_{part}")
        if x.ndim == 4 and x.shape[-1] == 1:
            x = x[..., 0]
        if x.ndim != 3 or x.shape[1:] != (28, 28):
            raise BadDigits(f"x_{part} must hold 28x28 pictures; it has the shape {x.shape}.")
        if y is None or y.ndim != 1 or len(y) != len(x):
            raise BadDigits(f"y_{part} must hold one digit for each of the {len(x)} pictures in x_{part}.")
        if not (np.issubdtype(x.dtype, np.number) and np.issubdtype(y.dtype, np.number)):
            raise BadDigits("The pictures and digits must be numbers.")
        if len(x) > MAX_UPLOAD_DIGITS:
            raise BadDigits(f"x_{part} holds {len(x):,} pictures; at most {MAX_UPLOAD_DIGITS:,} train here.")
        if not np.isfinite(x).all() or x.min(initial=0) < 0 or x.max(initial=0) > 255:
            raise BadDigits(f"x_{part}'s pixels must lie between 0 and 255, as MNIST's do.")
        if len(y) and (not np.isin(y, np.arange(10)).all()):
            raise BadDigits(f"y_{part} must hold the digits 0 to 9 only.")
        if x.size and x.max() <= 1.0:
            x = x * 255.0  # pictures already scaled to 0..1
        out[f"x_{part}"], out[f"y_{part}"] = np.asarray(x).round().astype(np.uint8), y.astype(np.uint8)
    if len(out["x_train"]) < MIN_UPLOAD_DIGITS:
        raise BadDigits(f"The file holds {len(out['x_train'])} pictures; train on at least {MIN_UPLOAD_DIGITS}.")
    if "x_test" in out and not len(out["x_test"]):
        del out["x_test"], out["y_test"]
    return out


def safe_file_name(name: str) -> str:
    """An uploaded file's name as the exported program may quote it: its last part, plain characters only."""
    import re

    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", str(name).replace("\\", "/").rsplit("/", 1)[-1]).strip("-.")
    return (stem[:60] or "digits") + ("" if stem.endswith(".npz") else ".npz")


def own_data(upload: dict[str, np.ndarray] | None, sample: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What "Train your own" trains on: the shipped sample, or an upload's digits, tested on the upload's test
    part if it has one and otherwise on the sample's 2,000 MNIST test digits (does the room's handwriting
    teach a network to read everyone's?)."""
    if upload is None:
        return sample
    if "x_test" in upload:
        return upload
    return {**upload, "x_test": sample["x_test"], "y_test": sample["y_test"]}


def train_own(kind: str, optimizer_name: str, epochs: int, on_epoch=None, seed: int = 0, data=None):
    """Train the learner's network on the shipped sample; ``on_epoch(epoch, logs)`` after each epoch."""
    from dlviz.core.models import optimizer

    data = data if data is not None else load_subset()
    x_train, x_test = data["x_train"][..., None] / 255.0, data["x_test"][..., None] / 255.0
    model = own_model(kind, seed)
    model.compile(optimizer=optimizer(optimizer_name, OWN_LEARNING_RATES[optimizer_name]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    turns = pacing.Turns()  # each epoch waits its turn when many sessions train at once

    def epoch_end(epoch: int, logs: dict) -> None:
        turns.give()
        if on_epoch:
            on_epoch(epoch, logs)

    callbacks = [keras.callbacks.LambdaCallback(on_epoch_begin=lambda *_: turns.take(), on_epoch_end=epoch_end)]
    try:
        history = model.fit(x_train, data["y_train"], batch_size=32, epochs=epochs, verbose=0,
                            validation_data=(x_test, data["y_test"]), callbacks=callbacks)  # fmt: skip
    finally:
        turns.give()
    return model, history.history


# --- the page's settings ----------------------------------------------------------------------


PARTS = {"draw": "Draw", "mnist": "Try MNIST digits", "own": "Train your own"}
SAMPLE_SETS = {"mnist": "MNIST test digits", "variants": "Handwriting MNIST lacks"}
VARIANT_NAMES = {key: v.name for key, v in VARIANTS.items()}


@dataclass(frozen=True)
class DigitsSettings:
    part: str = choice("draw", PARTS)
    stroke: int = number(18, 6, 40)
    own_kind: str = choice("dense", OWN_KINDS)
    own_optimizer: str = choice("adam", OWN_LEARNING_RATES)
    own_epochs: int = number(5, 1, 20)
    own_data: str = choice("mnist", OWN_DATA)
    sample_seed: int = number(0, 0, 99_999)
    sample_set: str = choice("mnist", SAMPLE_SETS)
    variant: str = choice("one_flag", VARIANT_NAMES)
