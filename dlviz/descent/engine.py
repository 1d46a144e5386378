"""Gradient descent on curves: the course's hand-written loop and Keras's optimizers.

The course teaches the update ``x -= learning_rate * dy/dx`` on the parabola
y = 2(x - 5)^2 + 3. ``hand_path`` is that loop, word for word;
``keras_path`` runs the same descent with a real ``keras.optimizers`` object
on a ``tf.Variable`` through ``tf.GradientTape``, so momentum, RMSprop and
Adam are the ones a learner's code uses.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlviz.core.settings import choice, flag, number, replace
from dlviz.descent import line_fit

MAX_ABS_X = 1e6  # beyond this a path has diverged; it stops there


@dataclass(frozen=True)
class Curve:
    """A 1-D loss curve, written once for NumPy and TensorFlow alike."""

    key: str
    label: str
    formula: str
    family: Callable  # family(x, *params) for floats, NumPy arrays and tf tensors
    df: Callable  # its derivative (floats and NumPy arrays)
    derivative: str  # dy/dx as Python, for the printed loop
    domain: tuple[float, float]
    start: float
    curvature: float | None = None  # a in a(x - h)^2 + k, where the regime theory applies
    params: tuple[float, ...] = ()

    def f(self, x):
        return self.family(x, *self.params)


def _parabola(x, a, h, k):
    return a * (x - h) ** 2 + k


def parabola(a: float = 2.0, h: float = 5.0, k: float = 3.0) -> Curve:
    return Curve(
        key="parabola",
        label=f"y = {a:g}(x − {h:g})² + {k:g}",
        formula=f"{a:g} * (x - {h:g}) ** 2 + {k:g}",
        family=_parabola,
        params=(a, h, k),
        df=lambda x: 2 * a * (x - h),
        derivative=f"2 * {a:g} * (x - {h:g})",
        domain=(h - 6.0, h + 6.0),
        start=h - 5.0,
        curvature=a,
    )


TWO_VALLEYS = Curve(
    key="two_valleys",
    label="y = x⁴ − 3x² + x + 3 (a local and a global minimum)",
    formula="x ** 4 - 3 * x ** 2 + x + 3",
    family=lambda x: x**4 - 3 * x**2 + x + 3,
    df=lambda x: 4 * x**3 - 6 * x + 1,
    derivative="4 * x ** 3 - 6 * x + 1",
    domain=(-2.2, 2.2),
    start=1.8,
)

PLATEAU = Curve(
    key="plateau",
    label="y = (x − 1)² / 4 + 2 / (1 + e^(4x − 8)) (a plateau before the valley)",
    formula="(x - 1) ** 2 / 4 + 2 / (1 + exp(4 * x - 8))",
    family=lambda x: (x - 1) ** 2 / 4 + 2 / (1 + _exp(4 * x - 8)),
    df=lambda x: (x - 1) / 2 - 8 * np.exp(4 * x - 8) / (1 + np.exp(4 * x - 8)) ** 2,
    derivative="(x - 1) / 2 - 8 * math.exp(4 * x - 8) / (1 + math.exp(4 * x - 8)) ** 2",
    domain=(-3.0, 5.0),
    start=4.5,
)


def _exp(x):
    """exp for floats, arrays and tensors alike."""
    if hasattr(x, "dtype") and "tensorflow" in type(x).__module__:
        import tensorflow as tf

        return tf.exp(x)
    return np.exp(x)


def curve(key: str, a: float = 2.0, h: float = 5.0, k: float = 3.0) -> Curve:
    if key == "parabola":
        return parabola(a, h, k)
    return {"two_valleys": TWO_VALLEYS, "plateau": PLATEAU}[key]


# --- the learning-rate regimes of a parabola ---------------------------------------------------


@dataclass(frozen=True)
class Regime:
    key: str  # "slow", "optimal", "oscillating", "diverging", "stuck"
    label: str
    explanation: str


def thresholds(curvature: float) -> tuple[float, float]:
    """For y = a(x - h)^2 + k: fastest at 1/(2a); diverges above 1/a."""
    return 1 / (2 * curvature), 1 / curvature


def regime(learning_rate: float, curvature: float) -> Regime:
    """Where plain gradient descent lands on a parabola, from x_{n+1} - h = (1 - 2a·lr)(x_n - h)."""
    best, limit = thresholds(curvature)
    factor = 1 - 2 * curvature * learning_rate
    if math.isclose(learning_rate, best, rel_tol=1e-9):
        return Regime("optimal", "Just right", f"At exactly 1/(2a) = {best:.3g} one step lands on the minimum.")
    if learning_rate < best:
        return Regime("slow", "Too small: slow and steady",
                      f"Each step covers {1 - factor:.0%} of the way; below {best:.3g} it never overshoots.")  # fmt: skip
    if learning_rate < limit:
        return Regime("oscillating", "Overshooting, but converging",
                      f"Between {best:.3g} and {limit:.3g} it jumps over the minimum and back, closing in.")  # fmt: skip
    if math.isclose(learning_rate, limit, rel_tol=1e-9):
        return Regime("stuck", "Bouncing forever", f"At exactly 1/a = {limit:.3g} it jumps between two points.")
    return Regime("diverging", "Too large: diverging",
                  f"Above 1/a = {limit:.3g} every jump lands farther away than the last.")  # fmt: skip


# --- paths -------------------------------------------------------------------------------------


@dataclass
class Path:
    x: np.ndarray  # iterates, x[0] is the start
    y: np.ndarray
    diverged: bool

    @property
    def steps(self) -> int:
        return len(self.x) - 1


def _finish(xs: list[float], f: Callable) -> Path:
    x = np.asarray(xs, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.asarray(f(x), dtype=np.float64)
    diverged = bool(len(x) and (not np.all(np.isfinite(y)) or np.abs(x[-1]) > MAX_ABS_X))
    return Path(x, y, diverged)


def hand_path(c: Curve, x0: float, learning_rate: float, steps: int) -> Path:
    """The course's loop: x = x - learning_rate * dy/dx, stopped when it runs away."""
    x, xs = float(x0), [float(x0)]
    for _ in range(steps):
        x = x - learning_rate * c.df(x)
        xs.append(x)
        if not math.isfinite(x) or abs(x) > MAX_ABS_X:
            break
    return _finish(xs, c.f)


def keras_optimizer(name: str, learning_rate: float, beta: float = 0.9):
    from tensorflow import keras

    if name == "gd":
        return keras.optimizers.SGD(learning_rate=learning_rate)
    if name == "momentum":
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=beta)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=learning_rate, rho=beta)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta)
    raise ValueError(f"unknown optimizer {name!r}")


def keras_path(c: Curve, x0: float, optimizer: str, learning_rate: float, steps: int, beta: float = 0.9) -> Path:
    """The same descent with a Keras optimizer updating a tf.Variable, one GradientTape per step."""
    xs = _compiled("curve", c.key, optimizer, beta)(np.float64(x0), learning_rate, steps, c.params)
    return _finish(list(_until_runaway(xs)), c.f)


SAME_STEPS = 1e-4  # the largest relative difference between two paths still called "the same steps"


@dataclass(frozen=True)
class Agreement:
    """How closely Keras's path follows the hand-written loop's."""

    steps: int  # steps compared (both paths have them)
    largest: float  # the largest relative difference, |x_keras - x_hand| / max(1, |x_hand|)
    agree_for: int  # steps before the first difference above SAME_STEPS (all of them when none is)

    @property
    def same(self) -> bool:
        return self.largest <= SAME_STEPS


def agreement(hand: Path, keras: Path) -> Agreement:
    n = min(len(hand.x), len(keras.x))
    gaps = np.abs(keras.x[:n] - hand.x[:n]) / np.maximum(1.0, np.abs(hand.x[:n]))
    apart = np.flatnonzero(gaps > SAME_STEPS)
    return Agreement(max(n - 1, 0), float(gaps.max()) if n else 0.0, int(apart[0]) - 1 if apart.size else n - 1)


def agreement_text(a: Agreement, learning_rate: float) -> str:
    """The caption under the 1-D descent: does ``keras.optimizers.SGD`` take the loop's steps?"""
    error = float(np.float32(learning_rate)) - learning_rate
    stored = (f"Keras stores the learning rate as a 32-bit float: {learning_rate:g} becomes {learning_rate:g} "
              f"{'+' if error > 0 else '−'} {abs(error):.1e}" if error else
              f"Keras stores the learning rate as a 32-bit float, which holds {learning_rate:g} exactly")  # fmt: skip
    if a.same:
        return (f"`keras.optimizers.SGD` on a `tf.Variable` takes the same steps: the largest relative difference "
                f"over {_steps(a.steps)} is {a.largest:.1e}. ({stored}.)")  # fmt: skip
    return (f"`keras.optimizers.SGD` on a `tf.Variable` takes the same steps for the first {_steps(a.agree_for)}, then drifts "
            f"apart (largest relative difference {a.largest:.1e}). {stored}, and this path amplifies tiny "
            "differences: every step multiplies them, so the paths separate.")  # fmt: skip


def _steps(n: int) -> str:
    return "1 step" if n == 1 else f"{n:,} steps"


def _until_runaway(points: np.ndarray) -> np.ndarray:
    """The iterates up to and including the first that is not finite or beyond MAX_ABS_X."""
    flat = np.abs(np.reshape(points, (len(points), -1)))
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.all(np.isfinite(flat) & (flat <= MAX_ABS_X), axis=1))
    return points[: bad[0] + 1] if bad.size else points


MAX_STEPS = 1000  # the longest compiled path


class _CompiledDescent:
    """One Keras optimizer on one tf.Variable, with its whole loop compiled by XLA.

    Eager Keras steps cost 7-20 ms each here; the compiled loop runs 200 steps
    in about a millisecond. Compiling takes ~200 ms, once per loss family,
    optimizer and beta (beta is a Python number inside Keras's update rule),
    so start, learning rate, step count and the parabola's shape are inputs.
    The variable and the optimizer's slots are shared, hence the lock.
    """

    def __init__(self, loss: Callable, dims: int, optimizer: str, beta: float, n_params: int):
        import tensorflow as tf

        self._lock = threading.Lock()
        self._point = tf.Variable(tf.zeros([dims] if dims > 1 else [], tf.float64))
        self._opt = keras_optimizer(optimizer, 0.01, beta)
        self._opt.build([self._point])
        memory = [v for v in self._opt.variables if not v.path.endswith("learning_rate")]
        point, opt = self._point, self._opt

        @tf.function(jit_compile=True)
        def descend(start, learning_rate, steps, params):
            point.assign(start)
            for v in memory:  # a fresh optimizer: no momentum, step counter at zero
                v.assign(tf.zeros_like(v))
            opt.learning_rate.assign(learning_rate)
            out = tf.TensorArray(tf.float64, size=MAX_STEPS + 1).write(0, start)
            i = tf.constant(0)
            while i < steps:  # a while loop, not tf.range: XLA keeps the step count a runtime value
                with tf.GradientTape() as tape:
                    value = loss(point, *[params[j] for j in range(n_params)])
                opt.apply_gradients([(tape.gradient(value, point), point)])
                i += 1
                out = out.write(i, point.read_value())
            return out.stack()

        self._descend = descend

    def __call__(self, start, learning_rate: float, steps: int, params=()) -> np.ndarray:
        steps = int(min(max(steps, 0), MAX_STEPS))
        args = np.asarray(start, np.float64), np.float32(learning_rate), np.int32(steps)
        with self._lock:
            out = self._descend(*args, np.asarray(params or (0.0,), np.float64)).numpy()
        return out[: steps + 1]


@functools.lru_cache(maxsize=64)
def _compiled(kind: str, key: str, optimizer: str, beta: float) -> _CompiledDescent:
    if kind == "curve":
        c = curve(key)
        return _CompiledDescent(c.family, 1, optimizer, beta, len(c.params))
    s = SURFACES[key]
    return _CompiledDescent(lambda p: s.f(p[0], p[1]), 2, optimizer, beta, 0)


# --- the page's settings ----------------------------------------------------------------------

LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 2.0)
# Short names: they fit the sidebar's select box and the race's legend.
OPTIMIZERS = {
    "gd": "Gradient descent",
    "momentum": "SGD with momentum",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}
OPTIMIZER_HELP = (
    "Gradient descent is the course's own loop, x = x − learning_rate · dy/dx. The others are "
    "`keras.optimizers` objects that remember past gradients: SGD with momentum keeps a running velocity, "
    "RMSprop divides each step by the recent size of the gradient, Adam does both."
)
CURVES = {"parabola": "Parabola", "two_valleys": "Two valleys", "plateau": "Plateau"}
PARTS = {"curve": "One dimension", "race": "Two dimensions", "neuron": "A neuron fits a line"}
FIT_LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.02, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0)
FIT_SPEEDS = {"50": "50 epochs/s", "100": "100 epochs/s", "250": "250 epochs/s", "1000": "1000 epochs/s",
              "max": "As fast as it goes"}  # fmt: skip


@dataclass(frozen=True)
class DescentSettings:
    curve: str = choice("parabola", CURVES)
    a: float = number(2.0, 0.1, 10.0)
    h: float = number(5.0, -10.0, 10.0)
    k: float = number(3.0, -10.0, 10.0)
    optimizer: str = choice("gd", OPTIMIZERS)
    beta: float = number(0.9, 0.0, 0.999)
    lr: float = number(0.1, 0.001, 2.0)
    x0: float = number(0.0, -20.0, 20.0)
    steps: int = number(30, 1, 200)
    surface: str = choice("bowl", ("bowl", "rosenbrock", "saddle", "two_minima"))
    # 0: the surface's own (Surface.learning_rate, .steps), so a link names them only when they differ from it.
    lr2: float = number(0.0, 0.0, 1.0)
    steps2: int = number(0, 0, MAX_STEPS)
    part: str = choice("curve", PARTS)
    fit_data: str = choice("houses", line_fit.DATASETS)
    fit_slope: float = number(2.0, -5.0, 5.0)
    fit_noise: float = number(1.0, 0.0, 5.0)
    fit_scale: bool = flag(False)
    fit_loss: str = choice("mse", line_fit.LOSSES)
    fit_lr: float = number(0.01, 0.0001, 1.0)
    fit_epochs: int = number(500, 1, 5000)
    fit_speed: str = choice("100", FIT_SPEEDS)

    @property
    def race_lr(self) -> float:
        """The race's learning rate: the one chosen, else the surface's own."""
        return self.lr2 or SURFACES[self.surface].learning_rate

    @property
    def race_steps(self) -> int:
        return self.steps2 or SURFACES[self.surface].steps

    def race_as_chosen(self, lr2: float, steps2: int) -> DescentSettings:
        """These settings with the race's learning rate and steps, stored as 0 where they are the surface's own."""
        surface = SURFACES[self.surface]
        return replace(self, lr2=0.0 if lr2 == surface.learning_rate else float(lr2),
                       steps2=0 if steps2 == surface.steps else int(steps2))  # fmt: skip


def run(s: DescentSettings) -> tuple[Curve, Path]:
    """The curve and the optimizer's path for the page's settings."""
    c = curve(s.curve, s.a, s.h, s.k)
    if s.optimizer == "gd":
        return c, hand_path(c, s.x0, s.lr, s.steps)
    return c, keras_path(c, s.x0, s.optimizer, s.lr, s.steps, s.beta)


def minimum_value(c: Curve) -> float:
    """The lowest value of the curve over its domain (a fine grid is plenty for these curves)."""
    grid = np.linspace(*c.domain, 4001)
    return float(np.min(c.f(grid)))


# --- two dimensions: optimizers racing on a surface -------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface, with the learning rate and step count at which its caption (``look_for``) holds."""

    key: str
    label: str
    f: Callable  # f(x, y) for floats, arrays and tensors
    domain: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    learning_rate: float
    steps: int
    look_for: str  # what the race shows at these defaults (tests/test_descent.py checks each claim)
    log_contours: bool = False  # steep walls: contour log(1 + f)

    @property
    def name(self) -> str:
        """The label without its formula ("Elongated bowl"): short enough for a select box on a projector."""
        return self.label.split(":")[0]

    def distance_to_minimum(self, point) -> float:
        """How far ``point`` is from the nearest minimum."""
        p = np.asarray(point, np.float64)
        return float(min(np.hypot(*(p - m)) for m in self.minima))


def _sq(v):
    return v * v


def _two_minima_xs() -> tuple[float, float]:
    """The x of the two minima of (x² − 1)² + 0.3x: roots of 4x³ − 4x + 0.3 (the middle root is the ridge)."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)
    return float(roots[0]), float(roots[2])


SURFACES: dict[str, Surface] = {
    s.key: s
    for s in [
        Surface("bowl", "Elongated bowl: 0.1x² + 5y²", lambda x, y: 0.1 * _sq(x) + 5 * _sq(y),
                ((-5.0, 5.0), (-2.5, 2.5)), (-4.5, 2.0), ((0.0, 0.0),), learning_rate=0.19, steps=60,
                look_for="A long, narrow valley. Plain descent zig-zags from wall to wall and crawls along the floor. "
                "Momentum swings across for longer, as its memory carries each swing on, but the same memory adds "
                "up the small steps along the floor: it overshoots the middle, swings back and ends closer to it. "
                "RMSprop and Adam scale each direction's step by the size of its slope, so the steep walls stop "
                "mattering and they head for the middle."),
        Surface("rosenbrock", "Rosenbrock valley: (1 − x)² + 100(y − x²)²",
                lambda x, y: _sq(1 - x) + 100 * _sq(y - _sq(x)), ((-2.0, 2.0), (-1.0, 3.0)), (-1.2, 1.0),
                ((1.0, 1.0),), learning_rate=0.0015, steps=500, log_contours=True,
                look_for="A curved valley with its minimum at (1, 1). Dropping into the valley is quick; following "
                "its curved floor is the slow part. Plain descent crawls along it, and momentum gathers speed and "
                "gets there. RMSprop and Adam take steps about as long as the learning rate, far too short here. "
                "Try 0.2: Adam gets there, but plain descent and momentum run off the surface. No single learning "
                "rate suits all four."),
        Surface("saddle", "Saddle: x² − y² (plus a rim that holds it)", lambda x, y: _sq(x) - _sq(y) + 0.1 * _sq(_sq(y)),
                ((-3.0, 3.0), (-3.0, 3.0)), (-2.5, 0.05), ((0.0, 5**0.5), (0.0, -(5**0.5))), learning_rate=0.02,
                steps=100,
                look_for="The start is just beside the ridge. Plain descent heads for the saddle point in the middle, "
                "where the slope all but vanishes, and lingers there before it slides off into one of the two "
                "valleys. Momentum rolls past the saddle and is the first to arrive. RMSprop and Adam magnify the "
                "tiny sideways slope and turn off early, well clear of the saddle."),
        Surface("two_minima", "Two minima: (x² − 1)² + y² + 0.3x", lambda x, y: _sq(_sq(x) - 1) + _sq(y) + 0.3 * x,
                ((-2.0, 2.0), (-2.0, 2.0)), (1.8, 1.5), tuple((x, 0.0) for x in _two_minima_xs()),
                learning_rate=0.02, steps=100,
                look_for="Two valleys; the left one is lower. Plain descent, RMSprop and Adam settle in the nearer, "
                "higher one on the right. Momentum comes down the steep wall fast enough to roll over the ridge into "
                "the lower one, though not at every learning rate: try 0.05."),
    ]
}  # fmt: skip
RACE_LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.19,
                       0.2, 0.3, 0.5, 1.0)  # fmt: skip


def keras_path_2d(s: Surface, start, optimizer: str, learning_rate: float, steps: int, beta: float = 0.9) -> np.ndarray:
    """(steps + 1, 2) iterates of a Keras optimizer on the surface; stops early when it runs away."""
    return _until_runaway(_compiled("surface", s.key, optimizer, beta)(start, learning_rate, steps))


def neuron_key(s: DescentSettings) -> tuple:
    """What the neuron and its data depend on: a change here starts a new neuron (the live-run rule)."""
    return (s.fit_data, s.fit_slope, s.fit_noise, s.fit_scale, s.fit_loss)


def neuron_run(s: DescentSettings) -> line_fit.LineRun:
    """A new neuron for the page's settings."""
    return line_fit.LineRun(*neuron_key(s), learning_rate=s.fit_lr, budget=s.fit_epochs, settings=s)


LOSS_CHART_CEILING = 1e30  # a log loss chart leaves out larger values (a run-away path's last steps)


def chartable(values) -> list[float]:
    """Loss values for a log chart: a run-away's last ones (1e70 and more, beyond 32-bit floats) as gaps."""
    values = np.asarray(values, np.float64)
    with np.errstate(invalid="ignore"):
        return list(np.where(values <= LOSS_CHART_CEILING, values, np.nan))


def distances_text(surface, paths: dict, step: int, steps: int) -> tuple[str, list[str]]:
    """Each optimizer's distance to the nearest minimum at ``step``, and those that ran off before ``steps``."""
    ran_off = [name for name, p in paths.items() if len(p) - 1 < steps]
    parts = []
    for name, p in paths.items():
        if name not in ran_off:
            d = surface.distance_to_minimum(p[min(step, len(p) - 1)])
            parts.append(f"{name} {'< 0.01' if d < 0.005 else f'{d:.2f}'}")
    return " · ".join(parts), ran_off
