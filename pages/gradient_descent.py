"""Gradient descent: a ball rolling down a curve, optimizers racing on a surface, a neuron fitting a line."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from dlviz import codegen, descent, figures, line_fit, pacing, ui
from dlviz.descent import CURVES, FIT_LEARNING_RATES, FIT_SPEEDS, LEARNING_RATES, OPTIMIZERS, PARTS, DescentSettings

ui.use_navigation()
NAME = "descent"
REFRESH_SECONDS = 0.12  # time between two redraws while the neuron trains
state = st.session_state

st.title("Gradient descent")
st.caption(
    "Start somewhere on the curve and step downhill: each step moves x against the slope, scaled by the learning rate."
)
st.latex(r"x \leftarrow x - \text{learning\_rate} \cdot \frac{dy}{dx}")
saved = ui.page_settings(DescentSettings, NAME)
seeded = ui.seeder("gd", saved)
projector = ui.projector()

# Only the open tab runs (on_change="rerun"); the others keep their values in the saved settings.
tabs, part = ui.part_tabs("gd", PARTS, saved.part)
curve_tab, race_tab, neuron_tab = tabs.values()

if curve_tab.open:
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
    side.select_slider("Learning rate", sorted({*LEARNING_RATES, saved.lr}), format_func=lambda v: f"{v:g}",
                       key=seeded("lr"))  # fmt: skip
    side.number_input("Start x", -20.0, 20.0, step=0.5, key=seeded("x0"))
    side.slider("Steps", 1, 200, key=seeded("steps"))

if race_tab.open:
    race_tab.caption("The same start, the same learning rate, four optimizers from `keras.optimizers`. "
                     "Plain descent zig-zags across a narrow valley; momentum and Adam remember where they were going.")  # fmt: skip
    surface_col, lr_col, steps_col = race_tab.columns(3)
    surface_col.selectbox("Surface", list(descent.SURFACES), format_func=lambda k: descent.SURFACES[k].label,
                          key=seeded("surface"))  # fmt: skip
    lr_col.select_slider("Learning rate", sorted({0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, saved.lr2}),
                         format_func=lambda v: f"{v:g}", key=seeded("lr2"))  # fmt: skip
    steps_col.slider("Steps", 1, 150, key=seeded("steps2"))

if neuron_tab.open:
    neuron_tab.caption(
        "The course's first model: `keras.Sequential([keras.layers.Dense(1)])` learns y = w·x + b with SGD. "
        "Press **Play** and watch the line swing into place while (w, b) walks downhill on the loss surface."
    )
    data_col, loss_col, lr_col, scale_col = neuron_tab.columns([3, 2, 3, 2], vertical_alignment="bottom")
    data_col.selectbox("Data", list(line_fit.DATASETS), format_func=line_fit.DATASETS.get, key=seeded("fit_data"))
    loss_col.selectbox("Loss", list(line_fit.LOSSES), format_func=line_fit.LOSSES.get, key=seeded("fit_loss"))
    lr_col.select_slider("Learning rate", sorted({*FIT_LEARNING_RATES, saved.fit_lr}), format_func=lambda v: f"{v:g}",
                         key=seeded("fit_lr"))  # fmt: skip
    scale_col.toggle("Min-max scaling", key=seeded("fit_scale"), help="Feed the neuron (x − min) / (max − min), "
                     "so every input lies between 0 and 1.")  # fmt: skip
    if state["gd.fit_data"] == "noisy":
        slope_col, noise_col = neuron_tab.columns(2)
        slope_col.slider("Slope of the line", -5.0, 5.0, step=0.5, key=seeded("fit_slope"))
        noise_col.slider("Noise", 0.0, 5.0, step=0.5, key=seeded("fit_noise"))
    epochs_col, speed_col = neuron_tab.columns(2)
    epochs_col.number_input("Epochs", 1, 5000, step=100, key=seeded("fit_epochs"))
    speed_col.select_slider("Speed", list(FIT_SPEEDS), format_func=FIT_SPEEDS.get, key=seeded("fit_speed"))

settings = DescentSettings(**{
    name: state.get(f"gd.{name}", getattr(saved, name)) for name in DescentSettings.__dataclass_fields__
    if name != "part"}, part=part)  # fmt: skip
ui.save_settings(NAME, settings)


# --- one dimension ----------------------------------------------------------------------------
def one_dimension(s: DescentSettings) -> None:
    curve, path = descent.run(s)
    if curve.curvature is not None and s.optimizer == "gd":
        regime = descent.regime(s.lr, curve.curvature)
        best, limit = descent.thresholds(curve.curvature)
        show = {"slow": st.info, "optimal": st.success, "oscillating": st.warning, "stuck": st.warning,
                "diverging": st.error}  # fmt: skip
        show[regime.key](f"**{regime.label}.** {regime.explanation}")
        ui.chart(st.empty(), figures.learning_rate_strip(s.lr, best, limit, projector=projector), key="gd.chart.strip")
    elif s.optimizer != "gd":
        st.info(f"{OPTIMIZERS[s.optimizer]} keeps a memory of past gradients, so the simple thresholds of plain "
                "gradient descent no longer apply: watch how it speeds up on slopes and overshoots.")  # fmt: skip

    if path.diverged:
        st.error(f"The descent diverged after {path.steps} steps: x ran off to {path.x[-1]:.3g}. "
                 "Pick a smaller learning rate.", icon=":material/warning:")  # fmt: skip

    step = st.slider("Show step", 0, path.steps, value=path.steps, key=f"gd.step.{path.steps}")
    grid = np.linspace(*curve.domain, 400)
    x_now = float(path.x[step])
    slope = float(curve.df(x_now)) if np.isfinite(x_now) else float("nan")
    figure_col, loss_col = st.columns([3, 2])
    ui.chart(figure_col.empty(), figures.descent_figure(
        grid, curve.f(grid), path.x, path.y, step, curve.df, title=curve.label, animate=True, projector=projector),
        key="gd.chart.curve")  # fmt: skip
    above = path.y - descent.minimum_value(curve)
    ui.chart(loss_col.empty(), figures.curves_figure(
        {"y − its minimum": list(np.maximum(above[1:], 1e-16))}, title="Loss against step", y_title="y − minimum",
        log_y=True, x_title="step", projector=projector), key="gd.chart.loss")  # fmt: skip
    figure_col.markdown(f"Step **{step}**: x = {x_now:.6g}, y = {float(path.y[step]):.6g}, slope dy/dx = {slope:.4g}")

    if s.optimizer == "gd":
        check = descent.keras_path(curve, s.x0, "gd", s.lr, s.steps)
        n = min(len(check.x), len(path.x))
        gap = float(np.max(np.abs(check.x[:n] - path.x[:n]) / np.maximum(1, np.abs(path.x[:n])))) if n else 0.0
        st.caption(f"`keras.optimizers.SGD` on a `tf.Variable` takes the same steps: largest relative difference "
                   f"over {n - 1} steps {gap:.1e} (Keras keeps the learning rate in 32-bit floats).")  # fmt: skip

    with st.expander("The first iterates"):
        first = min(len(path.x), 21)
        xs = path.x[:first]
        with np.errstate(over="ignore", invalid="ignore"):
            table = pd.DataFrame({"step": np.arange(first), "x": xs, "y": path.y[:first], "dy/dx": curve.df(xs)})
        st.dataframe(table, hide_index=True, width="stretch")

    ui.code_panel(codegen.descent_loop_program(curve, s.x0, s.lr, s.steps), title="The course's loop in Python")


# --- two dimensions ---------------------------------------------------------------------------
def two_dimensions(s: DescentSettings) -> None:
    surface = descent.SURFACES[s.surface]
    paths = {OPTIMIZERS[o].split(" (")[0]: descent.keras_path_2d(surface, surface.start, o, s.lr2, s.steps2)
             for o in OPTIMIZERS}  # fmt: skip
    longest = max(len(p) for p in paths.values()) - 1
    shown_step = st.slider("Show step", 0, longest, value=longest, key=f"gd.step2.{longest}")
    (xa, xb), (ya, yb) = surface.domain
    xs, ys = np.linspace(xa, xb, 120), np.linspace(ya, yb, 120)
    values = surface.f(*np.meshgrid(xs, ys))
    ui.chart(st.empty(), figures.race_figure(xs, ys, values, paths, shown_step, log_contours=surface.log_contours,
                                             title=surface.label, projector=projector), key="gd.chart.race")  # fmt: skip
    ran_off = [name for name, p in paths.items() if len(p) - 1 < s.steps2]
    if ran_off:
        st.warning(f"{', '.join(ran_off)} ran off the surface (the steps grew without bound): "
                   "try a smaller learning rate.")  # fmt: skip


# --- a neuron fits a line ---------------------------------------------------------------------
def neuron(s: DescentSettings) -> None:
    run: line_fit.LineRun | None = state.get("gd.fit.run")
    key = (s.fit_data, s.fit_slope, s.fit_noise, s.fit_scale, s.fit_loss)
    if state.pop("gd.fit.reset", False) or run is None or run.key != key:
        run = state["gd.fit.run"] = line_fit.LineRun(*key, learning_rate=s.fit_lr)
        state["gd.fit.running"] = False
    run.set_learning_rate(s.fit_lr)

    def finished() -> bool:
        return run.diverged or run.epoch >= s.fit_epochs

    if state.pop("gd.fit.step", False) and not finished():
        run.train(1)
    running = state.get("gd.fit.running", False) and not finished()

    status = ui.play_controls("gd.fit", running=running, finished=finished())
    notice = st.empty()
    line_col, weights_col = st.columns(2)
    line_chart, weights_chart = line_col.empty(), weights_col.empty()
    loss_col, predict_col = st.columns([3, 2])
    loss_chart = loss_col.empty()
    data = run.data
    predict_col.number_input(f"Predict for a new {data.x_label}", -100.0, 100.0, step=1.0,
                             key=ui.seed("gd.fit.ask", float(data.asks[0])))  # fmt: skip
    answers = predict_col.empty()
    if data.scaled:
        predict_col.caption(f"With scaling on, a new input is scaled the same way: (x − {data.low:g}) / "
                            f"({data.high:g} − {data.low:g}) before it reaches the neuron.")  # fmt: skip
    ui.code_panel(codegen.line_fit_program(data, s.fit_data, s.fit_slope, s.fit_noise, s.fit_loss, s.fit_lr,
                                           s.fit_epochs))  # fmt: skip

    asks = sorted({*data.asks, float(state["gd.fit.ask"])})
    x_lo, x_hi = float(min(data.x.min(), 0.0, *asks)), float(max(data.x.max(), *asks))
    x_lo, x_hi = x_lo - 0.04 * (x_hi - x_lo), x_hi + 0.04 * (x_hi - x_lo)

    def draw(cycle: int) -> None:
        w, b = run.weights[-1]
        seen = " (on scaled x)" if data.scaled else ""
        loss = f" · loss {run.history.loss[-1]:.4g}" if len(run.history) else ""
        status.markdown(f"**Epoch {run.epoch}** · w = {w:.4g} · b = {b:.4g}{seen}{loss}")
        if run.diverged:
            notice.error(f"Training diverged at epoch {run.epoch}: w and b ran off to infinity. The learning rate "
                         f"{s.fit_lr:g} is too large for these inputs; pick a smaller one or turn on min-max scaling, "
                         "then press Reset.", icon=":material/warning:")  # fmt: skip
        elif run.epoch >= s.fit_epochs:
            notice.success(f"Trained {run.epoch:,} epochs. Raise **Epochs** to train further, or Reset.")
        guesses = {x: float(run.predict(x)) for x in asks}
        ws, bs, surface = run.surface()
        ui.chart(line_chart, figures.line_fit_figure(
            data.x, data.y, *_line_in_user_units(data, w, b), x_range=(x_lo, x_hi), asks=guesses,
            x_title=data.x_label, y_title=data.y_label, projector=projector), key=f"gd.chart.fit.{cycle}")  # fmt: skip
        ui.chart(weights_chart, figures.race_figure(
            ws, bs, surface, {"SGD": np.asarray(run.weights)}, len(run.weights), log_contours=True,
            title=f"{line_fit.LOSSES[s.fit_loss]} over (w, b)", axis_titles=("w", "b"), equal_axes=False,
            projector=projector), key=f"gd.chart.weights.{cycle}")  # fmt: skip
        ui.chart(loss_chart, figures.curves_figure({"training loss": run.history.loss}, title="Loss", y_title="loss",
                                                   log_y=True, projector=projector), key=f"gd.chart.fitloss.{cycle}")  # fmt: skip
        answers.markdown(
            "\n".join(f"- {data.x_label} **{x:g}** → {data.y_label} **{v:.4g}**" for x, v in guesses.items())
        )

    draw(0)
    if not running:
        return
    # Live training: a click anywhere reruns the script and stops this loop at its next st.* call.
    cycle, per_second = 0, None if s.fit_speed == "max" else int(s.fit_speed)
    chunk = max(1, round((per_second or 100) * REFRESH_SECONDS))
    while not finished():
        started = time.perf_counter()
        with pacing.turn():  # waits its turn when many sessions train at once
            run.train(min(chunk, s.fit_epochs - run.epoch))
        cycle += 1
        draw(cycle)
        elapsed = time.perf_counter() - started
        if per_second is None:  # as fast as it goes: size the next chunk to the refresh interval
            chunk = max(1, min(1000, int(chunk * REFRESH_SECONDS / max(elapsed, 1e-3))))
        else:
            time.sleep(max(0.0, chunk / per_second - elapsed))
    state["gd.fit.running"] = False
    st.rerun()


def _line_in_user_units(data: line_fit.LineData, w: float, b: float) -> tuple[float, float]:
    """The neuron's y = w·x' + b on scaled x' = (x − low)/(high − low), as slope and intercept in x."""
    span = data.high - data.low
    return w / span, b - w * data.low / span


if curve_tab.open:
    with curve_tab:
        one_dimension(settings)
if race_tab.open:
    with race_tab:
        two_dimensions(settings)
if neuron_tab.open:
    with neuron_tab:
        neuron(settings)
