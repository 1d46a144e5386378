"""Convolution: filters on real photos, a kernel walking over a grid, stride, padding and pooling."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from dlviz import ui
from dlviz.convolution import code, figures
from dlviz.convolution import engine as cv
from dlviz.convolution.engine import GRIDS, KERNELS, PADDINGS, PARTS, POOLS, SOURCES, WALK_KERNELS, ConvolutionSettings
from dlviz.core import charts
from dlviz.digits import engine as digits

NAME = "convolution"
WALK_SECONDS = 0.5  # per window position while the walk plays
state = st.session_state
saved = ui.page_start(NAME, ConvolutionSettings, "Convolution",
                      "A small kernel slides over the image, multiplies element-wise and sums: **filter**. ReLU keeps "
                      "what it found: **detect**. Pooling keeps the strongest answer in each patch: **condense**.")  # fmt: skip
field = ui.fields("cv", saved)
projector = ui.projector()

tabs, part = ui.part_tabs("cv", PARTS, saved.part)
photo_tab, walk_tab, learned_tab = tabs.values()


@st.cache_resource(show_spinner="Loading the digit model…")
def shipped_classifier() -> digits.Classifier:
    return digits.load_classifier()


@st.cache_data(show_spinner=False, max_entries=16)
def source_image(name: str) -> np.ndarray:
    """Shipped photos as RGB uint8; patterns and the digit as grey in [0, 1]."""
    if name in cv.PHOTOS:
        return cv.load_photo(name)
    if name in cv.PATTERNS:
        return cv.pattern(name)
    return digits.load_subset()["x_test"][0] / 255.0


def kernel_table(kernel: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(kernel, columns=[str(i) for i in range(kernel.shape[1])])


def use_preset() -> None:
    state.pop("cv.kernel_editor", None)  # the editor shows the new preset


def kernel_edited() -> None:
    """Any edit turns the kernel into a custom one, which the editor then shows as its starting table."""
    edits = state["cv.kernel_editor"].get("edited_rows", {})
    kernel, empty = cv.edited_kernel(current_settings().base_kernel(), edits)
    state["cv.custom"] = tuple(float(v) for v in kernel.ravel())
    state["cv.kernel"] = "custom"
    state["cv.kernel_empty"] = empty
    state.pop("cv.kernel_editor", None)
    state.pop("cv.kernel_side", None)


def resize_kernel() -> None:
    side = int(state["cv.kernel_side"])
    state["cv.custom"] = tuple(float(v) for v in np.pad([[1.0]], (side - 1) // 2).ravel())  # identity of that size
    state.pop("cv.kernel_editor", None)


def current_settings() -> ConvolutionSettings:
    return ui.read_settings(ConvolutionSettings, "cv", saved, part=part).repaired()


# --- widgets of the open tab ----------------------------------------------------------------------
if photo_tab.open:
    image_col, kernel_col = photo_tab.columns(2)
    image_col.selectbox("Image", list(SOURCES), format_func=SOURCES.get, key=field("image"))
    kernel_col.selectbox("Filter", [*KERNELS, "custom"], format_func=lambda k: KERNELS[k][0] if k in KERNELS else "Custom",
                         key=field("kernel"), on_change=use_preset)  # fmt: skip
    stride_col, pad_col, pool_col, size_col = photo_tab.columns(4)
    stride_col.slider("Stride", 1, 3, key=field("stride"))
    pad_col.segmented_control("Padding", PADDINGS, key=field("padding"), required=True)
    pool_col.selectbox("Pooling", list(POOLS), format_func=POOLS.get, key=field("pool"))
    size_col.segmented_control("Pool size", [2, 3], key=field("pool_size"), required=True,
                               disabled=state["cv.pool"] == "none", help="Turn on a pooling to choose its window.")  # fmt: skip
    relu_col, colour_col, flip_col = photo_tab.columns(3)
    relu_col.toggle("ReLU after the filter (detect)", key=field("relu"))
    colour_col.toggle("Filter each colour channel", key=field("colour"))
    flip_col.toggle("Flip the kernel", key=field("flip"), help="Mathematical convolution flips the kernel; "
                    "deep-learning libraries (Keras's Conv2D too) slide it unflipped: cross-correlation.")  # fmt: skip

if walk_tab.open:
    grid_col, size_col, kernel_col, stride_col, pad_col = walk_tab.columns([3, 2, 3, 2, 2])
    grid_col.selectbox("Grid", list(GRIDS), format_func=GRIDS.get, key=field("grid"))
    size_col.slider("Grid size", 4, 10, key=field("grid_size"))
    kernel_col.selectbox(
        "Kernel", list(WALK_KERNELS), format_func=lambda k: WALK_KERNELS[k][0], key=field("walk_kernel")
    )
    stride_col.slider("Stride", 1, 3, key=field("walk_stride"))
    pad_col.segmented_control("Padding", PADDINGS, key=field("walk_padding"), required=True)

if learned_tab.open:
    learned_tab.selectbox("Image", list(SOURCES), format_func=SOURCES.get, key=field("image"))

settings = current_settings()
ui.save_settings(NAME, settings)


# --- filters on photos ----------------------------------------------------------------------------
def chosen_image(s: ConvolutionSettings, where) -> np.ndarray | None:
    """The image to filter, from the shipped ones or the participant's upload, with notes for the page."""
    if s.image != "upload":
        if s.image in cv.PHOTOS and max(size := cv.photo_size(s.image)) > cv.MAX_SIDE:
            where.caption(f"The photo is {size[0]} x {size[1]} pixels; it is filtered scaled down to at most "
                          f"{cv.MAX_SIDE} on the long side.")  # fmt: skip
        return source_image(s.image)
    limit = st.get_option("server.maxUploadSize")
    upload = where.file_uploader("Your image (PNG, JPEG, WebP or GIF)", type=["png", "jpg", "jpeg", "webp", "gif"],
                                 key="cv.upload", help=f"Up to {limit} MB; larger photos are refused by the "
                                 f"server, and anything over {cv.MAX_SIDE} pixels is scaled down.")  # fmt: skip
    if upload is None:
        where.info("Choose an image file to filter it.")
        return None
    try:
        image, notes = cv.load_upload(upload.getvalue())
    except cv.BadImage as err:
        where.error(f"{ui.plain(upload.name)}: {err}", icon=":material/broken_image:")
        return None
    for note in notes:
        where.caption(note)
    return image


def show_filters(s: ConvolutionSettings) -> None:
    editor_col, formula_col = st.columns([2, 3])
    if s.kernel == "custom":
        editor_col.segmented_control("Kernel size", [3, 5], default=s.base_kernel().shape[0], key="cv.kernel_side",
                                     required=True, on_change=resize_kernel)  # fmt: skip
    # The label sits where the editor's hover toolbar appears, so the toolbar covers it, not the toggles above.
    editor_col.caption("The kernel: edit any cell and the filter becomes a custom one.")
    editor_col.data_editor(kernel_table(s.base_kernel()), key="cv.kernel_editor", hide_index=True, width="stretch",
                           on_change=kernel_edited)  # fmt: skip
    if state.pop("cv.kernel_empty", False):
        editor_col.warning("A kernel cell was left empty or was not a number; it counts as 0.")

    image = chosen_image(s, st)
    if image is None:
        return
    rgb = image if image.ndim == 3 else None
    work = cv.working_image(image, s.colour)
    k = s.kernel_array().shape[0]
    try:
        response, pooled = cv.filter_image(work, s)
    except ValueError:
        st.error(f"This image is {work.shape[0]} x {work.shape[1]} pixels: too small for a {k} x {k} kernel. "
                 "Try a larger image.")  # fmt: skip
        return
    formula_col.markdown(cv.size_formula(*work.shape[:2], s, response, pooled))
    if s.flip:
        formula_col.caption("Flipped: this is the mathematical convolution. Deep learning's layers (and Keras's "
                            "Conv2D) do not flip the kernel: they compute cross-correlation.")  # fmt: skip
    original_col, response_col, result_col = st.columns(3)
    original_col.image(
        image if rgb is not None else np.clip(image, 0, 1), caption="The image", width="stretch", output_format="JPEG"
    )  # JPEG: PNG-encoding a 512 x 512 picture costs ~80 ms
    shown_response = response if response.ndim == 2 else response.mean(axis=-1)
    limit = cv.signed_limit(shown_response)
    response_col.image(figures.diverging_rgb(shown_response, limit), width="stretch", output_format="JPEG",
                       caption=f"The filter's raw response{', mean of R, G, B' if response.ndim == 3 else ''}: orange "
                       f"below 0, blue above (full colour at ±{limit:.3g})")  # fmt: skip
    detected = np.maximum(response, 0) if s.relu else response
    final = pooled if pooled is not None else detected
    steps = ("After ReLU" if s.relu else "The response") + (f", then {s.pool} pooling" if pooled is not None else "")
    if final.ndim == 3:  # each colour channel filtered: the result is a colour picture again
        result_col.image(np.clip(final, 0, 1), width="stretch", output_format="JPEG",
                         caption=f"{steps}, in colour (values outside 0..1 clipped)")  # fmt: skip
        for col, (c, name) in zip(st.columns(3), enumerate(("Red", "Green", "Blue")), strict=True):
            top = cv.signed_limit(response[..., c])
            col.image(figures.diverging_rgb(response[..., c], top), width="stretch", output_format="JPEG",
                      caption=f"{name} channel's raw response (full colour at ±{top:.3g})")  # fmt: skip
    elif s.relu or pooled is not None:
        result_col.image(figures.diverging_rgb(final, cv.signed_limit(final)), caption=steps, width="stretch",
                         output_format="JPEG")  # fmt: skip
    else:
        result_col.info(
            "Turn on **ReLU** to keep only what the filter detected, or choose a **pooling** to condense it."
        )
    ui.code_panel(code.convolution_program(s.kernel_array(), s.stride, s.padding, s.relu, s.pool, s.pool_size,
                                              s.image if s.image in cv.PHOTOS else "chelsea.png"))  # fmt: skip


# --- the kernel's walk ------------------------------------------------------------------------------
def position_slider(where, label: str, positions: int, key: str) -> int:
    """A slider over the window's positions; a single position needs none."""
    if positions == 1:
        where.caption(f"{label}: the only one")
        return 1
    return where.slider(label, 1, positions, value=1, key=key)


def show_walk(s: ConvolutionSettings) -> None:
    view = cv.walk_view(cv.grid(s.grid, s.grid_size), WALK_KERNELS[s.walk_kernel][1], s.walk_stride, s.walk_padding)
    windows, pools, output, p = view.windows, view.pools, view.output, view.padding
    out_rows, out_cols = output.shape
    key, pool_key = f"cv.step.{len(windows)}", f"cv.pool_step.{len(pools)}"
    for slider_key, stop in ((key, "cv.walk.to"), (pool_key, "cv.walk.pool_to")):
        if stop in state:  # where the last animation stopped
            state[slider_key] = state.pop(stop)
    play_col, slider_col = st.columns([1, 5], vertical_alignment="bottom")
    play_col.button("Walk", icon=":material/play_arrow:", type="primary", on_click=ui.on_click("cv.walk.play", True),
                    width="stretch", help="Move the kernel over every position, then the pooling window.")  # fmt: skip
    step = position_slider(slider_col, "Window position", len(windows), key)
    grid_col, kernel_col, products_col, out_col = st.columns([3, 2, 2, 3])
    walking = bool(state.get("cv.walk.play"))  # the walk redraws the charts below, step by step (``ui.slot``)
    grid_chart, products_chart, out_chart = (ui.slot(col, walking) for col in (grid_col, products_col, out_col))
    ui.chart(kernel_col, figures.number_grid(view.kernel, title="Kernel", signed=True, projector=projector),
             key="cv.chart.kernel")  # fmt: skip
    sum_line = ui.slot(st, walking)

    def draw(at: int, cycle: int) -> None:
        w = windows[at - 1]
        ui.chart(grid_chart, figures.number_grid(view.padded, title="Input" + (" with zero padding" if p else ""),
                 window=(w.top, w.left, 3), inner=p, projector=projector), key=f"cv.chart.grid.{cycle}")  # fmt: skip
        ui.chart(products_chart, figures.number_grid(w.products, title=f"Products: sum {w.total:.3g}", signed=True,
                 projector=projector), key=f"cv.chart.products.{cycle}")  # fmt: skip
        ui.chart(out_chart, figures.number_grid(output, title=f"Output {out_rows} x {out_cols}", filled=at, signed=True,
                 window=(w.row, w.col, 1), projector=projector), key=f"cv.chart.output.{cycle}")  # fmt: skip
        sum_line.markdown(f"Window at row {w.row + 1}, column {w.col + 1}: {view.terms(at)}")

    draw(step, 0)
    if not pools:
        st.caption("The output is smaller than 2 x 2: there is nothing to pool. Try a larger grid or stride 1.")
    else:
        pooled = view.pooled
        st.markdown(f"**Max pooling 2 x 2** condenses the {out_rows} x {out_cols} output to "
                    f"{pooled.shape[0]} x {pooled.shape[1]}: each cell keeps the largest value of its 2 x 2 patch"
                    + (" (an odd last row or column is left out)." if out_rows % 2 or out_cols % 2 else "."))  # fmt: skip
        pool_step = position_slider(st, "Pooling window", len(pools), pool_key)
        patch_col, pooled_col = st.columns(2)
        patch_chart, pooled_chart, max_line = (
            ui.slot(patch_col, walking),
            ui.slot(pooled_col, walking),
            ui.slot(st, walking),
        )

        def draw_pool(at: int, cycle: int) -> None:
            w = pools[at - 1]
            ui.chart(patch_chart, figures.number_grid(output, title=f"Output {out_rows} x {out_cols}", signed=True,
                     window=(w.top, w.left, 2), projector=projector), key=f"cv.chart.patch.{cycle}")  # fmt: skip
            ui.chart(pooled_chart, figures.number_grid(pooled, title="After 2 x 2 max pooling", filled=at, signed=True,
                     window=(w.row, w.col, 1), projector=projector), key=f"cv.chart.pooled.{cycle}")  # fmt: skip
            max_line.markdown(f"Patch at row {w.row + 1}, column {w.col + 1}: {view.pool_terms(at)}")

        draw_pool(pool_step, 0)
    if state.pop("cv.walk.play", False):
        # A click anywhere reruns the script and stops this loop at its next st.* call.
        for at in range(1, len(windows) + 1):
            draw(at, at)
            time.sleep(WALK_SECONDS)
        state["cv.walk.to"] = len(windows)
        for at in range(1, len(pools) + 1):
            draw_pool(at, at)
            time.sleep(WALK_SECONDS)
        if pools:
            state["cv.walk.pool_to"] = len(pools)
        st.rerun()


# --- what a CNN learned -------------------------------------------------------------------------------
def show_learned(s: ConvolutionSettings) -> None:
    classifier = shipped_classifier()
    first = classifier.conv_layers[0]
    kernels, biases = (np.asarray(v) for v in first.get_weights())
    shown = 16
    st.markdown(f"The Digits page's network learned these {kernels.shape[-1]} kernels in its first `Conv2D` layer "
                f"(the first {shown} shown). Nobody designed them: training found them.")  # fmt: skip
    ui.chart(st, charts.image_grid([kernels[:, :, 0, i] for i in range(shown)], [f"{i}" for i in range(shown)],
             columns=8, signed=True, projector=projector, tile_px=60), key="cv.chart.kernels")  # fmt: skip
    image = chosen_image(s, st)
    if image is None:
        return
    maps = cv.feature_maps(image, kernels, biases, shown)
    ui.chart(st, charts.image_grid(maps, [f"{i}" for i in range(shown)], columns=8,
             title="Their feature maps on the image (after ReLU, each scaled to its own maximum)", projector=projector,
             tile_px=110),
             key="cv.chart.maps")  # fmt: skip


ui.show_open(tabs, {"photo": lambda: show_filters(settings), "walk": lambda: show_walk(settings),
                   "learned": lambda: show_learned(settings)})  # fmt: skip
