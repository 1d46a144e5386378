"""Digits: draw a digit and watch a trained CNN read it as you draw."""

import time

import numpy as np
import streamlit as st

from dlviz import ui
from dlviz.core import charts, models
from dlviz.digits import code, figures, variants
from dlviz.digits import engine as digits
from dlviz.digits.engine import (
    OWN_DATA,
    OWN_KINDS,
    OWN_LEARNING_RATES,
    PARTS,
    SAMPLE_SETS,
    VARIANT_NAMES,
    DigitsSettings,
)

NAME = "digits"
# A pause between the answer and the pictures below it, so the browser paints the answer first: without it
# the pictures arrive before the next frame and the answer waits for them to be drawn (measured in
# docs/benchmarks.md: pen lift to the answer on screen ~350 ms without, ~260 ms with).
ANSWER_FIRST_SECONDS = 0.03
state = st.session_state


@st.cache_resource(show_spinner="Loading the digit model…")
def shipped_classifier() -> digits.Classifier:
    """The shipped CNN, once per process, shared by every session."""
    return digits.load_classifier()


@st.cache_resource(show_spinner="Reading the MNIST sample…")
def mnist_sample() -> tuple[dict, np.ndarray]:
    data = digits.load_subset()
    return data, shipped_classifier().probabilities(data["x_test"] / 255.0)


@st.cache_resource(show_spinner="Reading the handwriting variants…")
def variant_sample() -> tuple[dict, np.ndarray]:
    data = variants.load()
    return data, shipped_classifier().probabilities(data["x"] / 255.0)


@st.cache_data(show_spinner=False)
def digits_code_shipped() -> str:
    return code.digits_program(
        digits.cnn(), "adam", 0.001, 15,
        note="The shipped model's architecture. It was also trained with augmentation "
        "(shifts, rotations, zoom, stroke width): see dlviz/train.py.",
    )  # fmt: skip


@st.cache_data(show_spinner=False)
def digits_code_own(kind: str, optimizer: str, epochs: int, upload: str | None = None, own_test: bool = False) -> str:
    if upload:
        return code.digits_program(digits.own_model(kind), optimizer, OWN_LEARNING_RATES[optimizer], epochs,
                                   note="Put the file you uploaded beside this program.", data_file=upload,
                                   own_test=own_test)  # fmt: skip
    return code.digits_program(
        digits.own_model(kind), optimizer, OWN_LEARNING_RATES[optimizer], epochs,
        note="The page trains on a 5,000-digit sample; this program uses all 60,000, so expect a higher accuracy.",
    )  # fmt: skip


saved = ui.page_start(NAME, DigitsSettings, "Digits",
                      "Draw a digit with your mouse or finger. A convolutional network trained on the 60,000 MNIST "
                      "digits reads it every time you lift the pen.")  # fmt: skip
field = ui.fields("dg", saved)
projector = ui.projector()


def clear_canvas() -> None:
    state["dg.canvas"] = state.get("dg.canvas", 0) + 1  # a new key is a new, empty canvas


def other_digits() -> None:
    state["dg.sample_seed"] = (state["dg.sample_seed"] + 1) % 100_000


def current_settings() -> DigitsSettings:
    """The settings shown now: the open tab's widgets, and the saved values of the tabs that did not run."""
    return ui.read_settings(DigitsSettings, "dg", saved, part=part)


def shipped_accuracy() -> float:
    data, probs = mnist_sample()
    return float(np.mean(probs.argmax(axis=1) == data["y_test"]))


shipped = shipped_classifier()
# Only the open tab runs (on_change="rerun"); the others keep their values in the saved settings.
tabs, part = ui.part_tabs("dg", PARTS, saved.part)
draw_tab, mnist_tab, own_tab = tabs.values()

# --- Draw -----------------------------------------------------------------------------------
# The canvas lives in a fragment: each stroke reruns only this panel, not the
# rest of the page, so the answer comes back while the pen is still in the air.


def own_name(own: dict) -> str:
    return OWN_KINDS[own["kind"]].split(":")[0]


@st.fragment
def draw_panel() -> None:
    side = digits.PROJECTOR_CANVAS_SIDE if projector else digits.CANVAS_SIDE
    canvas_col, result_col = st.columns([1, 1.1] if projector else [1, 1.4], gap="large")
    with canvas_col:
        canvas = ui.quick_canvas(
            stroke_width=digits.pen_width(state["dg.stroke"], side),
            stroke_color="#FFFFFF",
            background_color="#000000",
            height=side,
            width=side,
            drawing_mode="freedraw",
            return_image_data=True,
            key=f"dg.canvas.{state.get('dg.canvas', 0)}.{side}",
        )
        st.button("Clear", icon=":material/delete:", on_click=clear_canvas)
        st.caption("Undo and redo are in the toolbar above the square. Draw one digit, large or small, anywhere in it.")
    own = state.get("dg.own")
    try:
        image = canvas.image_data if canvas is not None else None
        steps = digits.preprocess_steps(image) if image is not None else None
    except ValueError:
        steps = None
        st.error("This drawing could not be read. Press Clear and draw again.", icon=":material/error:")
    with result_col:
        if steps is None:
            st.info("Draw a digit in the black square.", icon=":material/draw:")
            if own is not None:
                st.caption(f"Your network ({own_name(own)}) will read it too, beside the shipped CNN.")
            return
        if not steps.enough_ink:
            st.info("Too little ink to read: draw a whole digit.", icon=":material/draw:")
            return
        probs = shipped.probabilities(steps.centred[None])[0]
        read = digits.reading(probs)
        top = read.digit
        st.markdown(f"<div style='font-size:5rem;font-weight:700;line-height:1'>{top}</div>", unsafe_allow_html=True)
        st.markdown(f"The network reads a **{top}**, {read.sure} sure.")
        st.caption(
            "Worth knowing: a network trained on digits answers with a digit whatever you draw, even an X. "
            "Its confidence is no check that the drawing is one."
        )
        if read.second is not None:
            st.warning(
                f"Not sure: it could also be a {read.second} ({probs[read.second]:.0%}). "
                "Try drawing it larger or clearer."
            )
        ui.room.send_digit(steps.centred, top)
        ui.chart(st, figures.probability_bars(probs, projector=projector), key="dg.bars")
        if own is not None:
            own_probs = own["classifier"].probabilities(steps.centred[None])[0]
            own_read = digits.reading(own_probs)
            st.markdown(f"**Your network** ({own_name(own)}) reads a **{own_read.digit}**, {own_read.sure} sure.")
            ui.chart(st, figures.probability_bars(own_probs, projector=projector, title="Your network"),
                     key="dg.own_bars")  # fmt: skip
    time.sleep(ANSWER_FIRST_SECONDS)
    st.subheader("What the network sees")
    naive = digits.naive_shrink(steps.ink)
    naive_guess = int(np.argmax(shipped.probabilities(naive[None])[0]))
    ui.chart(st, charts.image_grid(
        [steps.ink, steps.cropped, steps.fitted, steps.centred, naive],
        # Two short lines each: five captions in a row must fit the tiles of a 390 px phone too.
        ["your<br>drawing", "cropped<br>to the ink", "fitted<br>to 20×20", "centred<br>in 28×28", f"naive shrink:<br>reads {naive_guess}"],
        highlight=[False] * 4 + [naive_guess != top], projector=projector, tile_px=150), key="dg.steps")  # fmt: skip
    st.caption(
        "MNIST digits were cropped, scaled to fit a 20×20 box and centred by their centre of mass in "
        "28×28 pixels, so your drawing goes through the same steps. The last picture shrinks the whole "
        "canvas instead, as many demos do: a small or off-centre digit then looks nothing like MNIST."
    )
    if st.toggle("Show the feature maps: what each convolution layer detects in your drawing", key="dg.maps"):
        for layer, maps in zip(shipped.conv_layers, shipped.feature_maps(steps.centred), strict=True):
            shown = digits.shown_maps(maps)
            more = " (the first 16)" if maps.shape[-1] > 16 else ""
            ui.chart(st, charts.image_grid(
                shown, columns=8, title=f"{layer.name}: {maps.shape[-1]} maps of {maps.shape[0]}×{maps.shape[1]}{more}",
                projector=projector, tile_px=70), key=f"dg.maps.{layer.name}")  # fmt: skip


# --- Try MNIST digits -----------------------------------------------------------------------


def show_samples() -> None:
    st.segmented_control("Show", list(SAMPLE_SETS), format_func=SAMPLE_SETS.get, key=field("sample_set"),
                         required=True)  # fmt: skip
    if state["dg.sample_set"] == "variants":
        show_variants()
    else:
        show_mnist()


def show_variants() -> None:
    data, probs = variant_sample()
    names = [str(n) for n in data["names"]]
    read = probs.argmax(axis=1)
    found = variants.accuracy_by_variant(data, probs)
    st.markdown(
        f"MNIST's ones are mostly bare strokes, its sevens mostly uncrossed: many people write otherwise. These "
        f"{len(read):,} drawings were made as the canvas draws (any size and place, thin and thick pens, tilted, "
        f"some with a speck), {len(read) // len(names)} of each way of writing. The first network, trained on "
        f"MNIST alone, misread {1 - variants.FIRST_NETWORK['one_flag']:.0%} of the 1s with a flag (mostly as "
        f"7s); the shipped one also learned from {variants.training_count():,} such drawings (made with other "
        "seeds), beside MNIST's 60,000."
    )
    first = [variants.FIRST_NETWORK.get(n, float("nan")) for n in names]
    ui.chart(st, figures.variant_accuracy([VARIANT_NAMES[n] for n in names], [found[n] for n in names],
             first, projector=projector), key="dg.variant_accuracy")  # fmt: skip
    st.selectbox("Way of writing", names, format_func=VARIANT_NAMES.get, key=field("variant"))
    ui.initial("dg.sample_seed", saved.sample_seed)
    st.button("Show other drawings", icon=":material/shuffle:", on_click=other_digits, key="dg.other_variants")
    mine, wrong, pick = variants.shown(data, read, state["dg.variant"], state["dg.sample_seed"])
    ui.chart(st, charts.image_grid(
        data["x"][pick] / 255.0, [f"{read[i]} · {probs[i].max():.0%}" for i in pick],
        highlight=read[pick] != data["y"][pick], columns=6, projector=projector), key="dg.variant_samples")  # fmt: skip
    wrongly = (f"{len(wrong)} of these {len(mine)} are read wrong (in orange)" if len(wrong)
               else f"The shipped network reads all {len(mine)} of these right")  # fmt: skip
    st.caption(f"{wrongly}. The drawings are made by dlviz/digits/variants.py; the model card says how the network "
               "was trained on more of them.")  # fmt: skip


def show_mnist() -> None:
    data, sample_probs = mnist_sample()
    labels, guesses = data["y_test"], sample_probs.argmax(axis=1)
    st.markdown(
        f"The shipped network reads **{shipped_accuracy():.1%}** of these {len(labels):,} MNIST test "
        "digits correctly. It never saw them while training."
    )
    ui.initial("dg.sample_seed", saved.sample_seed)
    st.button("Show other digits", icon=":material/shuffle:", on_click=other_digits)
    pick = np.random.default_rng(state["dg.sample_seed"]).choice(len(labels), 12, replace=False)
    ui.chart(st, charts.image_grid(
        data["x_test"][pick] / 255.0, [f"{guesses[i]} · {sample_probs[i].max():.0%}" for i in pick],
        highlight=guesses[pick] != labels[pick], columns=6, projector=projector), key="dg.samples")  # fmt: skip
    wrong = np.flatnonzero(guesses != labels)
    st.subheader(f"The {len(wrong)} it gets wrong")
    if len(wrong):
        ui.chart(st, charts.image_grid(
            data["x_test"][wrong[:24]] / 255.0, [f"read {guesses[i]}, is {labels[i]}" for i in wrong[:24]],
            highlight=[True] * len(wrong[:24]), columns=6, projector=projector), key="dg.wrong")  # fmt: skip
        st.caption("Would you have read them correctly?")


# --- Train your own -------------------------------------------------------------------------


def own_widgets() -> None:
    st.markdown(
        "Train one of the course's first networks on 5,000 MNIST digits, or on your room's drawings (the "
        "instructor exports them from the **Class** page), then draw with it in the **Draw** tab and compare it "
        "with the shipped CNN."
    )
    st.segmented_control("Train on", list(OWN_DATA), format_func=OWN_DATA.get, key=field("own_data"),
                         required=True)  # fmt: skip
    if state["dg.own_data"] == "upload":
        upload_widget()
    kind_col, opt_col, epochs_col = st.columns(3)
    kind_col.selectbox("Network", list(OWN_KINDS), format_func=OWN_KINDS.get, key=field("own_kind"))
    opt_col.selectbox(
        "Optimizer", list(OWN_LEARNING_RATES), format_func=models.OPTIMIZERS.get, key=field("own_optimizer")
    )
    epochs_col.slider(
        "Epochs", 1, 20, key=field("own_epochs"), help="At most 20: the longest run a session may train here."
    )
    missing = state["dg.own_data"] == "upload" and uploaded() is None
    st.button("Train", icon=":material/model_training:", type="primary", on_click=ui.on_click("dg.train", True),
              disabled=missing, help="Upload your digits first." if missing else None)  # fmt: skip


def uploaded() -> tuple[str, dict] | None:
    """The digits file this session uploaded and could read: (its name, its arrays)."""
    return state.get("dg.upload_read")


def upload_widget() -> None:
    file = st.file_uploader("Your digits: an .npz in MNIST's layout (x_train, y_train; x_test, y_test if you "
                            "like)", type=["npz"], key="dg.upload",
                            help="The Class page's export, Drawings (MNIST .npz), writes one.")  # fmt: skip
    if file is None:
        state.pop("dg.upload_read", None)
        return
    known = state.get("dg.upload_read")
    if known is None or state.get("dg.upload_id") != file.file_id:
        state["dg.upload_id"] = file.file_id
        try:
            state["dg.upload_read"] = (file.name, digits.read_digits_npz(file.getvalue()))
        except digits.BadDigits as e:
            state.pop("dg.upload_read", None)
            st.error(f"{ui.plain(file.name)}: {e}", icon=":material/error:")
            return
    name, arrays = state["dg.upload_read"]
    counts = np.bincount(arrays["y_train"], minlength=10)
    tested = (f"tested on its {len(arrays['y_test']):,} test pictures" if "x_test" in arrays
              else "tested on 2,000 MNIST test digits")  # fmt: skip
    st.caption(f"**{ui.plain(name)}**: {len(arrays['y_train']):,} pictures to train on ("
               + ", ".join(f"{d}: {n}" for d, n in enumerate(counts)) + f"), {tested}.")  # fmt: skip
    if (counts == 0).any():
        st.warning("Some digits have no pictures: the network cannot learn those from this file.")


def show_own(settings: DigitsSettings) -> None:
    progress = st.empty()
    loss_col, accuracy_col = st.columns(2)
    training = bool(state.get("dg.train"))  # the curves are redrawn after every epoch (``ui.slot``)
    loss_chart, accuracy_chart = ui.slot(loss_col, training), ui.slot(accuracy_col, training)

    def draw_curves(h: dict, suffix: str) -> None:
        ui.chart(loss_chart, charts.curves_figure({"training loss": h["loss"], "validation loss": h["val_loss"]},
                 title="Loss", y_title="loss", projector=projector), key="dg.own_loss" + suffix)  # fmt: skip
        ui.chart(accuracy_chart, charts.curves_figure(
            {"training accuracy": h["accuracy"], "validation accuracy": h["val_accuracy"]},
            title="Accuracy", y_title="accuracy", fraction=True, projector=projector), key="dg.own_accuracy" + suffix)  # fmt: skip

    own = state.get("dg.own")
    if state.pop("dg.train", False):
        live: dict[str, list[float]] = {"loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
        bar = progress.progress(0.0, text="Training…")

        def show_epoch(epoch: int, logs: dict) -> None:
            for name, values in live.items():
                values.append(float(logs[name]))
            bar.progress((epoch + 1) / settings.own_epochs, text=f"Epoch {epoch + 1} of {settings.own_epochs}")
            draw_curves(live, f".{epoch}")

        upload = uploaded() if settings.own_data == "upload" else None
        data = digits.own_data(upload[1] if upload else None, mnist_sample()[0])
        model, history = digits.train_own(settings.own_kind, settings.own_optimizer, settings.own_epochs, show_epoch,
                                          data=data)  # fmt: skip
        own = state["dg.own"] = {"classifier": digits.Classifier(model), "kind": settings.own_kind, "history": history,
                                 "trained_on": upload[0] if upload else None, "train_size": len(data["y_train"]),
                                 "test_size": len(data["y_test"]), "own_test": bool(upload and "x_test" in upload[1])}  # fmt: skip
        progress.empty()
    if own is not None:
        h = own["history"]
        draw_curves(h, "")
        st.success(trained_text(own, h["val_accuracy"][-1]))
    upload = uploaded() if settings.own_data == "upload" else None
    ui.code_panel(digits_code_own(settings.own_kind, settings.own_optimizer, settings.own_epochs,
                                  digits.safe_file_name(upload[0]) if upload else None,
                                  bool(upload and "x_test" in upload[1])),
                  title="Keras code of your network")  # fmt: skip


def trained_text(own: dict, accuracy: float) -> str:
    if own.get("trained_on") is None:
        return (f"Your network reads {accuracy:.1%} of the 2,000 test digits correctly (the shipped CNN: "
                f"{shipped_accuracy():.1%}). Draw in the **Draw** tab to compare them.")  # fmt: skip
    tests = f"{own['test_size']:,} test pictures of your file" if own["own_test"] else \
        f"{own['test_size']:,} MNIST test digits"  # fmt: skip
    return (f"Your network learned from {own['train_size']:,} pictures of {ui.plain(own['trained_on'])} and reads "
            f"{accuracy:.1%} of the {tests} correctly (the shipped CNN, trained on 60,000 MNIST digits, reads "
            f"{shipped_accuracy():.1%} of MNIST's). Draw in the **Draw** tab to compare them.")  # fmt: skip


# --- the open tab: its widgets, the settings (into the URL), then its content ----------------------
if draw_tab.open:
    draw_tab.slider("Pen width", 6, 40, key=field("stroke"),
                    help="In pixels of the 280 px square; projector mode's larger square widens the pen to match.")  # fmt: skip
if own_tab.open:
    with own_tab:
        own_widgets()
settings = current_settings()
ui.save_settings(NAME, settings)


def show_draw() -> None:
    draw_panel()
    ui.code_panel(digits_code_shipped(), title="Keras code of the shipped model")


ui.show_open(tabs, {"draw": show_draw, "mnist": show_samples, "own": lambda: show_own(settings)})
