"""Two-dimensional toy data sets and the input features built from them.

The generators follow TensorFlow Playground's ``dataset.ts`` (same shapes,
same -6..6 plane, same meaning of noise) so that what participants know from
it carries over; "moons" is added. Classification labels are 0 and 1 (the
output neuron is a sigmoid), regression targets lie in [-1, 1]. The
multi-class sets (blobs, spirals, a pinwheel) take a number of classes and
label the points 0..classes-1 (the output is a softmax of that many neurons).

Each generator uses only NumPy and its own arguments: the Keras-code panel
copies their source into the program it shows, so the exported program
draws exactly the points the page draws. scikit-learn's ``make_moons`` and
``make_circles`` differ in scale and noise model, and the package would be a
large dependency for six small functions.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

EXTENT = 6.0  # points lie in [-EXTENT, EXTENT]^2


def circle(n, noise, rng):
    radius = 5.0
    n_in = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n - n_in)])
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    labels = (np.hypot(*(points + jitter).T) < radius * 0.5).astype(np.float32)
    return points.astype(np.float32), labels


def xor(n, noise, rng):
    padding = 0.3
    points = rng.uniform(-5, 5, (n, 2))
    points += np.where(points > 0, padding, -padding)
    jitter = rng.uniform(-5, 5, (n, 2)) * noise
    labels = ((points + jitter).prod(axis=1) >= 0).astype(np.float32)
    return points.astype(np.float32), labels


def gauss(n, noise, rng):
    sd = np.sqrt(0.5 + 7.0 * noise)  # variance 0.5 .. 4 as noise goes 0 .. 0.5
    n_pos = n // 2
    centres = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [n_pos, n - n_pos], axis=0)
    points = centres + rng.normal(0, sd, (n, 2))
    labels = np.repeat([1.0, 0.0], [n_pos, n - n_pos]).astype(np.float32)
    return points.astype(np.float32), labels


def spiral(n, noise, rng):
    half = n // 2
    arms = []
    for delta, count in ((0.0, half), (np.pi, n - half)):
        i = np.arange(count) / max(count, 1)
        r = i * 5.0
        t = 1.75 * i * 2 * np.pi + delta
        arm = np.column_stack([r * np.sin(t), r * np.cos(t)])
        arms.append(arm + rng.uniform(-1, 1, (count, 2)) * noise)
    points = np.concatenate(arms)
    labels = np.repeat([1.0, 0.0], [half, n - half]).astype(np.float32)
    return points.astype(np.float32), labels


def moons(n, noise, rng):
    n_top = n // 2
    t_top = rng.uniform(0, np.pi, n_top)
    t_bottom = rng.uniform(0, np.pi, n - n_top)
    top = np.column_stack([np.cos(t_top), np.sin(t_top)])
    bottom = np.column_stack([1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)])
    points = np.concatenate([top, bottom]) - [0.5, 0.25]
    points = (points + rng.normal(0, noise * 0.5, (n, 2))) * 3.5
    labels = np.repeat([0.0, 1.0], [n_top, n - n_top]).astype(np.float32)
    return points.astype(np.float32), labels


def plane(n, noise, rng):
    points = rng.uniform(-6, 6, (n, 2))
    jitter = rng.uniform(-6, 6, (n, 2)) * noise
    targets = np.clip((points + jitter).sum(axis=1) / 10.0, -1, 1)
    return points.astype(np.float32), targets.astype(np.float32)


def bump(n, noise, rng):
    bumps = [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]
    points = rng.uniform(-6, 6, (n, 2))
    noisy = points + rng.uniform(-6, 6, (n, 2)) * noise
    targets = np.zeros(n)
    for cx, cy, sign in bumps:
        value = sign * np.clip(1 - np.hypot(noisy[:, 0] - cx, noisy[:, 1] - cy) / 2, 0, 1)
        targets = np.where(np.abs(value) > np.abs(targets), value, targets)
    return points.astype(np.float32), targets.astype(np.float32)


def blobs(n, noise, rng, classes=3):
    angles = 2 * np.pi * np.arange(classes) / classes + np.pi / 2
    centres = 3.5 * np.column_stack([np.cos(angles), np.sin(angles)])
    labels = np.arange(n) % classes
    sd = np.sqrt(0.4 + 6.0 * noise)  # variance 0.4 .. 3.4 as noise goes 0 .. 0.5
    points = centres[labels] + rng.normal(0, sd, (n, 2))
    return points.astype(np.float32), labels.astype(np.float32)


def spirals(n, noise, rng, classes=3):
    labels = np.arange(n) % classes
    i = rng.uniform(0, 1, n)
    r = 0.5 + i * 4.5
    t = 1.25 * i * 2 * np.pi + 2 * np.pi * labels / classes
    points = np.column_stack([r * np.sin(t), r * np.cos(t)]) + rng.uniform(-1, 1, (n, 2)) * noise * 2
    return points.astype(np.float32), labels.astype(np.float32)


def pinwheel(n, noise, rng, classes=3):
    labels = np.arange(n) % classes
    radial = rng.normal(1.0, 0.3, n)
    tangential = rng.normal(0.0, 0.05 + noise * 0.6, n)
    angle = 2 * np.pi * labels / classes + 0.6 * np.exp(radial)
    cos, sin = np.cos(angle), np.sin(angle)
    points = 3.0 * np.column_stack([radial * cos - tangential * sin, radial * sin + tangential * cos])
    return points.astype(np.float32), labels.astype(np.float32)


def own(n, noise, rng):
    """No points: the participant draws the data set by clicking on the plane."""
    return np.zeros((0, 2), np.float32), np.zeros(0, np.float32)


@dataclass(frozen=True)
class DataSet:
    key: str
    label: str
    regression: bool
    generate: object
    multiclass: bool = False  # generate(n, noise, rng, classes=k) labels 0..k-1
    drawn: bool = False  # no generated points: only the ones added by hand

    def source(self) -> str:
        return inspect.getsource(self.generate)


DATASETS: dict[str, DataSet] = {
    d.key: d
    for d in [
        DataSet("xor", "XOR", False, xor),
        DataSet("circle", "Circles", False, circle),
        DataSet("gauss", "Two Gaussians", False, gauss),
        DataSet("spiral", "Spiral", False, spiral),
        DataSet("moons", "Moons", False, moons),
        DataSet("plane", "Plane (regression)", True, plane),
        DataSet("bump", "Gaussian bumps (regression)", True, bump),
        DataSet("blobs", "Blobs (3-5 classes)", False, blobs, multiclass=True),
        DataSet("spirals", "Spirals (3-5 classes)", False, spirals, multiclass=True),
        DataSet("pinwheel", "Pinwheel (3-5 classes)", False, pinwheel, multiclass=True),
        DataSet("own", "Your own points (click to add)", False, own, drawn=True),
    ]
}


def title(key: str, classes: int = 3) -> str:
    """A data set's name as a summary says it: "Pinwheel (4 classes)" for a multi-class set."""
    d = DATASETS[key]
    return f"{d.label.split(' (')[0]} ({classes} classes)" if d.multiclass else d.label


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    expression: str  # NumPy expression of x1 and x2; also printed in the Keras code


FEATURES: dict[str, Feature] = {
    f.key: f
    for f in [
        Feature("x1", "x₁", "x1"),
        Feature("x2", "x₂", "x2"),
        Feature("x1sq", "x₁²", "x1 ** 2"),
        Feature("x2sq", "x₂²", "x2 ** 2"),
        Feature("x1x2", "x₁·x₂", "x1 * x2"),
        Feature("sinx1", "sin(x₁)", "np.sin(x1)"),
        Feature("sinx2", "sin(x₂)", "np.sin(x2)"),
    ]
}
# Only these fixed expressions are ever compiled; user input only picks keys.
_FEATURE_FUNCS = {k: eval(f"lambda x1, x2: {f.expression}", {"np": np}) for k, f in FEATURES.items()}


def features(points: np.ndarray, keys: tuple[str, ...]) -> np.ndarray:
    """The network's input columns for 2-D points, one column per feature key."""
    x1, x2 = points[:, 0], points[:, 1]
    cols = [np.broadcast_to(_FEATURE_FUNCS[k](x1, x2), x1.shape) for k in keys]
    return np.column_stack(cols).astype(np.float32)


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray  # points (n, 2)
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    regression: bool
    classes: int = 2  # classification: how many classes the labels 0..classes-1 name


def train_count(n: int, train_fraction: float) -> int:
    """How many of ``n`` points go to training: at least one, and at least one left to validate."""
    return min(max(int(round(n * train_fraction)), 1), n - 1)


MIN_CLASSES, MAX_CLASSES = 3, 5  # the multi-class sets' range


def make(name: str, n: int, noise: float, train_fraction: float, seed: int, classes: int = 3) -> Split:
    """Generate ``n`` points, shuffle them and split them into train and validation.

    ``classes`` is used by the multi-class sets only (3 to 5); the others have 2 classes or are regressions.
    """
    dataset = DATASETS[name]
    if dataset.drawn:
        empty = np.zeros((0, 2), np.float32), np.zeros(0, np.float32)
        return Split(*empty, *empty, regression=False)
    rng = np.random.default_rng(seed)
    if dataset.multiclass:
        classes = int(np.clip(classes, MIN_CLASSES, MAX_CLASSES))
        points, labels = dataset.generate(n, noise, rng, classes=classes)
    else:
        classes = 2
        points, labels = dataset.generate(n, noise, rng)
    order = rng.permutation(n)
    points, labels = points[order], labels[order]
    n_train = train_count(n, train_fraction)
    return Split(points[:n_train], labels[:n_train], points[n_train:], labels[n_train:], dataset.regression, classes)


def grid(resolution: int, extent: float = EXTENT) -> tuple[np.ndarray, np.ndarray]:
    """Axis coordinates and the (resolution**2, 2) points of a square grid, rows from y=-extent."""
    axis = np.linspace(-extent, extent, resolution, dtype=np.float32)
    xx, yy = np.meshgrid(axis, axis)
    return axis, np.column_stack([xx.ravel(), yy.ravel()])
