"""Gradient descent: a ball rolling down a curve, optimizers racing on a surface, a neuron fitting a line."""

import numpy as np
import pandas as pd
import streamlit as st

from dlviz import ui
from dlviz.core import charts
from dlviz.core.text import significant as num
from dlviz.descent import code, figures, line_fit
from dlviz.descent import engine as descent
from dlviz.descent.engine import (
    CURVES,
    FIT_LEARNING_RATES,
    FIT_SPEEDS,
    LEARNING_RATES,
    OPTIMIZERS,
    PARTS,
    DescentSettings,
)

NAME = "descent"
state = st.session_state

saved = ui.page_start(NAME, DescentSettings, "Gradient descent", "Start somewhere on the curve and step downhill: "
                      "each step moves x against the slope, scaled by the learning rate.")  # fmt: skip
st.latex(r"x \leftarrow x - \text{learning\_rate} \cdot \frac{dy}{dx}")
field = ui.fields("gd", saved)
projector = ui.projector()

# Only the open tab runs (on_change="rerun"); the others keep their values in the saved settings.
tabs, part = ui.part_tabs("gd", PARTS, saved.part)
curve_tab, race_tab, neuron_tab = tabs.values()

if curve_tab.open:
    with curve_tab:
        ui.sidebar_hint("the curve, the learning rate and the steps")
    side = st.sidebar
    side.header("Curve")
    side.selectbox("Curve", list(CURVES), format_func=CURVES.get, key=field("curve"))
    if state["gd.curve"] == "parabola":
        side.caption("y = a(x − h)² + k")
        side.slider("Curvature a", 0.1, 10.0, step=0.1, key=field("a"))
        side.slider("Centre h", -10.0, 10.0, step=0.5, key=field("h"))
        side.slider("Height k", -10.0, 10.0, step=0.5, key=field("k"))
    side.header("Descent")
    side.selectbox("Optimizer", list(OPTIMIZERS), format_func=OPTIMIZERS.get, key=field("optimizer"),
                   help=descent.OPTIMIZER_HELP)  # fmt: skip
    if state["gd.optimizer"] != "gd":
        side.slider("β (momentum / decay)", 0.0, 0.999, step=0.01, key=field("beta"))
    side.select_slider("Learning rate", sorted({*LEARNING_RATES, saved.lr}), format_func=lambda v: f"{v:g}",
                       key=field("lr"))  # fmt: skip
    side.number_input("Start x", -20.0, 20.0, step=0.5, key=field("x0"))
    side.slider("Steps", 1, 200, key=field("steps"))


def _surface_defaults() -> None:
    """A new surface brings its own learning rate and step count, the ones its caption describes."""
    surface = descent.SURFACES[state["gd.surface"]]
    state["gd.lr2"], state["gd.steps2"] = surface.learning_rate, surface.steps


if race_tab.open:
    race_tab.caption("The same start, the same learning rate, four optimizers from `keras.optimizers`. Each surface "
                     "comes with a learning rate and a step count that show its point; change them and see what breaks.")  # fmt: skip
    surface_col, lr_col, steps_col = race_tab.columns(3)
    surface_col.selectbox("Surface", list(descent.SURFACES), format_func=lambda k: descent.SURFACES[k].name,
                          key=field("surface"), on_change=_surface_defaults)  # fmt: skip
    lr_key, steps_key = ui.initial("gd.lr2", saved.race_lr), ui.initial("gd.steps2", saved.race_steps)
    rates = {*descent.RACE_LEARNING_RATES, *(surface.learning_rate for surface in descent.SURFACES.values())}
    lr_col.select_slider("Learning rate", sorted({*rates, state[lr_key]}), format_func=lambda v: f"{v:g}", key=lr_key)
    steps_col.slider("Steps", 1, descent.MAX_STEPS, key=steps_key)

if neuron_tab.open:
    neuron_tab.caption(
        "The course's first model: `keras.Sequential([keras.layers.Dense(1)])` learns y = w·x + b with SGD. "
        "Press **Play** and watch the line swing into place while (w, b) walks downhill on the loss surface."
    )
    data_col, loss_col, lr_col, scale_col = neuron_tab.columns([3, 2, 3, 2], vertical_alignment="bottom")
    data_col.selectbox("Data", list(line_fit.DATASETS), format_func=line_fit.DATASETS.get, key=field("fit_data"))
    loss_col.selectbox("Loss", list(line_fit.LOSSES), format_func=line_fit.LOSSES.get, key=field("fit_loss"))
    lr_col.select_slider("Learning rate", sorted({*FIT_LEARNING_RATES, saved.fit_lr}), format_func=lambda v: f"{v:g}",
                         key=field("fit_lr"))  # fmt: skip
    scale_col.toggle("Min-max scaling", key=field("fit_scale"), help="Feed the neuron (x − min) / (max − min), "
                     "so every input lies between 0 and 1.")  # fmt: skip
    if state["gd.fit_data"] == "noisy":
        slope_col, noise_col = neuron_tab.columns(2)
        slope_col.slider("Slope of the line", -5.0, 5.0, step=0.5, key=field("fit_slope"))
        noise_col.slider("Noise", 0.0, 5.0, step=0.5, key=field("fit_noise"))
    epochs_col, speed_col = neuron_tab.columns(2)
    epochs_col.number_input("Epochs", 1, 5000, step=100, key=field("fit_epochs"))
    speed_col.select_slider("Speed", list(FIT_SPEEDS), format_func=FIT_SPEEDS.get, key=field("fit_speed"))

settings = ui.read_settings(DescentSettings, "gd", saved, part=part).race_as_chosen(
    state.get("gd.lr2", saved.race_lr), state.get("gd.steps2", saved.race_steps))  # fmt: skip
ui.save_settings(NAME, settings)


# --- one dimension ----------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=128)
def curve_figures(s: DescentSettings, step: int, projector: bool):
    """The curve with the ball at ``step``, and the loss against step: built once for every session that
    shows the same view (a room that follows the instructor opens it all at once). Shared, never changed."""
    curve, path = descent.run(s)
    grid = np.linspace(*curve.domain, 400)
    above = path.y - descent.minimum_value(curve)
    return (
        figures.descent_figure(grid, curve.f(grid), path.x, path.y, step, curve.df, title=curve.label, animate=True,
                               projector=projector),
        charts.curves_figure({"y − its minimum": descent.chartable(np.maximum(above[1:], 1e-16))},
                             title="Loss against step", y_title="y − minimum", log_y=True, x_title="step",
                             projector=projector),
    )  # fmt: skip


def one_dimension(s: DescentSettings) -> None:
    curve, path = descent.run(s)
    if curve.curvature is not None and s.optimizer == "gd":
        regime = descent.regime(s.lr, curve.curvature)
        best, limit = descent.thresholds(curve.curvature)
        show = {"slow": st.info, "optimal": st.success, "oscillating": st.warning, "stuck": st.warning,
                "diverging": st.error}  # fmt: skip
        show[regime.key](f"**{regime.label}.** {regime.explanation}")
        ui.chart(st, figures.learning_rate_strip(s.lr, best, limit, projector=projector), key="gd.chart.strip")
    elif s.optimizer != "gd":
        st.info(f"{OPTIMIZERS[s.optimizer]} keeps a memory of past gradients, so the simple thresholds of plain "
                "gradient descent no longer apply: watch how it speeds up on slopes and overshoots.")  # fmt: skip

    if path.diverged:
        st.error(f"The descent diverged after {path.steps} steps: x ran off to {path.x[-1]:.3g}. "
                 "Pick a smaller learning rate.", icon=":material/warning:")  # fmt: skip

    step = st.slider("Show step", 0, path.steps, value=path.steps, key=f"gd.step.{path.steps}")
    x_now = float(path.x[step])
    slope = float(curve.df(x_now)) if np.isfinite(x_now) else float("nan")
    figure_col, loss_col = st.columns([3, 2])
    descent_chart, loss_chart = curve_figures(s, step, projector)
    ui.chart(figure_col, descent_chart, key="gd.chart.curve")
    ui.chart(loss_col, loss_chart, key="gd.chart.loss")
    figure_col.markdown(f"Step **{step}**: x = {num(x_now, 6)}, y = {num(path.y[step], 6)}, slope dy/dx = {num(slope)}")

    if s.optimizer == "gd":
        check = descent.keras_path(curve, s.x0, "gd", s.lr, s.steps)
        st.caption(descent.agreement_text(descent.agreement(path, check), s.lr))

    with st.expander("The first iterates"):
        first = min(len(path.x), 21)
        xs = path.x[:first]
        with np.errstate(over="ignore", invalid="ignore"):
            table = pd.DataFrame({"step": np.arange(first), "x": xs, "y": path.y[:first], "dy/dx": curve.df(xs)})
        number = st.column_config.NumberColumn(format="%.6g")
        st.dataframe(table, hide_index=True, width="stretch", column_config={"x": number, "y": number, "dy/dx": number})

    ui.code_panel(code.descent_loop_program(curve, s.x0, s.lr, s.steps), title="The course's loop in Python")


# --- two dimensions ---------------------------------------------------------------------------
def two_dimensions(s: DescentSettings) -> None:
    surface = descent.SURFACES[s.surface]
    lr, steps = s.race_lr, s.race_steps
    at_defaults = (lr, steps) == (surface.learning_rate, surface.steps)
    st.caption(f"**What to look for.** {surface.look_for}" + ("" if at_defaults else
               f" (That holds at this surface's own learning rate {surface.learning_rate:g} and {surface.steps} "
               "steps; pick the surface again to go back to them.)"))  # fmt: skip
    paths = {OPTIMIZERS[o]: descent.keras_path_2d(surface, surface.start, o, lr, steps) for o in OPTIMIZERS}
    longest = max(len(p) for p in paths.values()) - 1
    shown_step = st.slider("Show step", 0, longest, value=longest, key=f"gd.step2.{longest}")
    (xa, xb), (ya, yb) = surface.domain
    xs, ys = np.linspace(xa, xb, 120), np.linspace(ya, yb, 120)
    values = surface.f(*np.meshgrid(xs, ys))
    ui.chart(st, figures.race_figure(xs, ys, values, paths, shown_step, log_contours=surface.log_contours,
                                             title=surface.label, minima=surface.minima, projector=projector),
             key="gd.chart.race")  # fmt: skip
    distances, ran_off = descent.distances_text(surface, paths, shown_step, steps)
    if distances:
        st.markdown(f"Distance to the nearest minimum after step **{shown_step}**: {distances}")
    if ran_off:
        st.warning(f"{', '.join(ran_off)} ran off the surface (the steps grew without bound): "
                   "try a smaller learning rate.")  # fmt: skip


# --- a neuron fits a line ---------------------------------------------------------------------
def neuron(s: DescentSettings) -> None:
    live = ui.LiveControls("gd.fit", s, descent.neuron_run, key=descent.neuron_key, speed=s.fit_speed)
    run: line_fit.LineRun = live.run

    def board() -> None:
        """The controls, the fit and the prediction: a fragment while paused (``LiveControls.board``), so Step
        and a new input to predict for rerun it alone."""
        live.controls()
        line_col, weights_col = st.columns(2)
        line_chart, weights_chart = live.slot(line_col), live.slot(weights_col)
        loss_col, predict_col = st.columns([3, 2])
        loss_chart = live.slot(loss_col)
        data = run.data
        predict_col.number_input(f"Predict for a new {data.x_label}", -100.0, 100.0, step=1.0,
                                 key=ui.initial("gd.fit.ask", float(data.asks[0])))  # fmt: skip
        answers = live.slot(predict_col)
        if data.scaled:
            predict_col.caption(f"With scaling on, a new input is scaled the same way: (x − {num(data.low)}) / "
                                f"({num(data.high)} − {num(data.low)}) before it reaches the neuron.")  # fmt: skip
        ui.code_panel(code.line_fit_program(data, s.fit_data, s.fit_slope, s.fit_noise, s.fit_loss, s.fit_lr,
                                               s.fit_epochs))  # fmt: skip

        asks = sorted({*data.asks, float(state["gd.fit.ask"])})
        x_range = data.x_range(asks)

        def draw(cycle: int) -> None:
            w, b = run.weights[-1]
            seen = " (on scaled x)" if data.scaled else ""
            # The loss of the w and b shown, on all the data: not Keras's history, which is the loss before the update.
            live.status.markdown(
                f"**Epoch {run.epoch}** · w = {num(w)} · b = {num(b)}{seen} · loss {num(run.current_loss())}"
            )
            guesses = {x: float(run.predict(x)) for x in asks}
            ws, bs, surface = run.surface()
            ui.chart(line_chart, figures.line_fit_figure(
                data.x, data.y, *data.line_in_x(w, b), x_range=x_range, asks=guesses,
                x_title=data.x_label, y_title=data.y_label, projector=projector), key=f"gd.chart.fit.{cycle}")  # fmt: skip
            ui.chart(weights_chart, figures.race_figure(
                ws, bs, surface, {"SGD": np.asarray(run.weights)}, len(run.weights), log_contours=True,
                title=f"{line_fit.LOSSES[s.fit_loss]} over (w, b)", axis_titles=("w", "b"), equal_axes=False,
                projector=projector), key=f"gd.chart.weights.{cycle}")  # fmt: skip
            ui.chart(loss_chart, charts.curves_figure(
                {"after the epoch (the w, b shown)": descent.chartable(run.end_losses()[1:]),
                 "during the epoch (Keras's history)": run.history.loss},
                title="Loss", y_title="loss", log_y=True, projector=projector), key=f"gd.chart.fitloss.{cycle}")  # fmt: skip
            answers.markdown(
                "\n".join(f"- {data.x_label} **{num(x)}** → {data.y_label} **{num(v)}**" for x, v in guesses.items())
            )

        live.play(draw, diverged=f"w and b ran off to infinity. The learning rate {s.fit_lr:g} is too large for "
                  "these inputs; pick a smaller one or turn on min-max scaling, then press Reset.",
                  budget=f"Trained {s.fit_epochs:,} epochs. Raise **Epochs** to train further, or Reset.", starting="")  # fmt: skip

    live.board(board)


ui.show_open(tabs, {"curve": lambda: one_dimension(settings), "race": lambda: two_dimensions(settings),
                   "neuron": lambda: neuron(settings)})  # fmt: skip
