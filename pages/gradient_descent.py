"""Gradient descent: a ball rolling down a curve, one learning-rate step at a time."""

import numpy as np
import pandas as pd
import streamlit as st

from dlviz import codegen, descent, figures, ui
from dlviz.descent import CURVES, LEARNING_RATES, OPTIMIZERS, DescentSettings

ui.use_navigation()
NAME = "descent"
state = st.session_state

st.title("Gradient descent")
st.caption("Start somewhere on the curve and step downhill: each step moves x against the slope, scaled by the learning rate.")
st.latex(r"x \leftarrow x - \text{learning\_rate} \cdot \frac{dy}{dx}")
saved = ui.page_settings(DescentSettings, NAME)

seeded = ui.seeder("gd", saved)


side = st.sidebar
side.header("Curve")
side.selectbox("Curve", list(CURVES), format_func=CURVES.get, key=seeded("curve"))
if state["gd.curve"] == "parabola":
    side.caption("y = a(x − h)² + k")
    side.slider("Curvature a", 0.1, 10.0, step=0.1, key=seeded("a"))
    side.slider("Centre h", -10.0, 10.0, step=0.5, key=seeded("h"))
    side.slider("Height k", -10.0, 10.0, step=0.5, key=seeded("k"))
side.header("Descent")
side.selectbox("Optimizer", list(OPTIMIZERS), format_func=OPTIMIZERS.get, key=seeded("optimizer"))
if state["gd.optimizer"] != "gd":
    side.slider("β (momentum / decay)", 0.0, 0.999, step=0.01, key=seeded("beta"))
side.select_slider("Learning rate", sorted({*LEARNING_RATES, saved.lr}), format_func=lambda v: f"{v:g}", key=seeded("lr"))
side.number_input("Start x", -20.0, 20.0, step=0.5, key=seeded("x0"))
side.slider("Steps", 1, 200, key=seeded("steps"))

fields = ("curve", "a", "h", "k", "optimizer", "beta", "lr", "x0", "steps", "surface", "lr2", "steps2")
st.session_state.setdefault("gd.surface", saved.surface)
st.session_state.setdefault("gd.lr2", saved.lr2)
st.session_state.setdefault("gd.steps2", saved.steps2)
settings = DescentSettings(**{f: state.get(f"gd.{f}", getattr(saved, f)) for f in fields})
ui.save_settings(NAME, settings)

@st.cache_data(show_spinner=False, max_entries=256)
def keras_check(key: str, a: float, h: float, k: float, x0: float, lr: float, steps: int) -> descent.Path:
    """The same descent by keras.optimizers.SGD (eager Keras steps are slow: cache them)."""
    return descent.keras_path(descent.curve(key, a, h, k), x0, "gd", lr, steps)


@st.cache_data(show_spinner=False, max_entries=256)
def descent_path(s: DescentSettings) -> descent.Path:
    return descent.run(s)[1]


curve, path = descent.curve(settings.curve, settings.a, settings.h, settings.k), descent_path(settings)
projector = ui.projector()

if curve.curvature is not None and settings.optimizer == "gd":
    regime = descent.regime(settings.lr, curve.curvature)
    best, limit = descent.thresholds(curve.curvature)
    show = {"slow": st.info, "optimal": st.success, "oscillating": st.warning, "stuck": st.warning, "diverging": st.error}
    show[regime.key](f"**{regime.label}.** {regime.explanation}")
    ui.chart(st.empty(), figures.learning_rate_strip(settings.lr, best, limit, projector=projector), key="gd.chart.strip")
elif settings.optimizer != "gd":
    st.info(f"{OPTIMIZERS[settings.optimizer]} keeps a memory of past gradients, so the simple thresholds of plain "
            "gradient descent no longer apply: watch how it speeds up on slopes and overshoots.")  # fmt: skip

if path.diverged:
    st.error(
        f"The descent diverged after {path.steps} steps: x ran off to {path.x[-1]:.3g}. "
        "Pick a smaller learning rate.",
        icon=":material/warning:",
    )

step = st.slider("Show step", 0, path.steps, value=path.steps, key=f"gd.step.{path.steps}")
grid = np.linspace(*curve.domain, 400)
x_now = float(path.x[step])
slope = float(curve.df(x_now)) if np.isfinite(x_now) else float("nan")
figure_col, loss_col = st.columns([3, 2])
ui.chart(figure_col.empty(), figures.descent_figure(
    grid, curve.f(grid), path.x, path.y, step, slope, title=curve.label, projector=projector), key="gd.chart.curve")  # fmt: skip
above = path.y - descent.minimum_value(curve)
ui.chart(loss_col.empty(), figures.curves_figure(
    {"y − its minimum": list(np.maximum(above[1:], 1e-16))}, title="Loss against step", y_title="y − minimum",
    log_y=True, x_title="step", projector=projector), key="gd.chart.loss")  # fmt: skip
figure_col.markdown(f"Step **{step}**: x = {x_now:.6g}, y = {float(path.y[step]):.6g}, slope dy/dx = {slope:.4g}")

if settings.optimizer == "gd":
    check = keras_check(settings.curve, settings.a, settings.h, settings.k, settings.x0, settings.lr,
                        min(settings.steps, 50))  # fmt: skip
    n = min(len(check.x), len(path.x))
    gap = float(np.max(np.abs(check.x[:n] - path.x[:n]))) if n else 0.0
    st.caption(f"`keras.optimizers.SGD` on a `tf.Variable` takes the same steps: largest difference over the first "
               f"{n - 1} steps {gap:.1e}.")  # fmt: skip

with st.expander("The first iterates"):
    first = min(len(path.x), 21)
    xs = path.x[:first]
    with np.errstate(over="ignore", invalid="ignore"):
        table = pd.DataFrame({"step": np.arange(first), "x": xs, "y": path.y[:first], "dy/dx": curve.df(xs)})
    st.dataframe(table, hide_index=True, width="stretch")

ui.code_panel(codegen.descent_loop_program(curve, settings.x0, settings.lr, settings.steps),
              title="The course's loop in Python")  # fmt: skip


# --- two dimensions ---------------------------------------------------------------------------
st.header("Two dimensions: optimizers racing")
st.caption("The same start, the same learning rate, four optimizers from `keras.optimizers`. "
           "Plain descent zig-zags across a narrow valley; momentum and Adam remember where they were going.")  # fmt: skip
surface_col, lr_col, steps_col = st.columns(3)
surface_col.selectbox("Surface", list(descent.SURFACES), format_func=lambda k: descent.SURFACES[k].label,
                      key="gd.surface")  # fmt: skip
lr_col.select_slider("Learning rate", sorted({0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, settings.lr2}),
                     format_func=lambda v: f"{v:g}", key="gd.lr2")  # fmt: skip
steps_col.slider("Steps", 1, 150, key="gd.steps2")


@st.cache_data(show_spinner="Racing the optimizers…", max_entries=64)
def race(surface: str, lr: float, steps: int) -> dict[str, np.ndarray]:
    s = descent.SURFACES[surface]
    return {OPTIMIZERS[o].split(" (")[0]: descent.keras_path_2d(s, s.start, o, lr, steps) for o in OPTIMIZERS}


surface = descent.SURFACES[settings.surface]
paths = race(settings.surface, settings.lr2, settings.steps2)
longest = max(len(p) for p in paths.values()) - 1
shown_step = st.slider("Show step", 0, longest, value=longest, key=f"gd.step2.{longest}")
(xa, xb), (ya, yb) = surface.domain
xs, ys = np.linspace(xa, xb, 120), np.linspace(ya, yb, 120)
values = surface.f(*np.meshgrid(xs, ys))
ui.chart(st.empty(), figures.race_figure(xs, ys, values, paths, shown_step, log_contours=surface.log_contours,
                                         title=surface.label, projector=projector), key="gd.chart.race")  # fmt: skip
ran_off = [name for name, p in paths.items() if len(p) - 1 < settings.steps2]
if ran_off:
    st.warning(f"{', '.join(ran_off)} ran off the surface (the steps grew without bound): try a smaller learning rate.")
