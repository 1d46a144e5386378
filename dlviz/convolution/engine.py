"""Convolution as a CNN layer does it: filters on photos, stride, padding, pooling, and the kernel's walk.

``convolve`` and ``pool`` run through TensorFlow (``tf.nn.conv2d``,
``tf.nn.max_pool2d`` / ``avg_pool2d``), the operations a ``Conv2D`` or
pooling layer performs: cross-correlation, no kernel flip. ``walk`` spells
out the same arithmetic one window at a time for the small-grid view.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlviz.core.settings import choice, flag, number, numbers, replace

IMAGES_DIR = Path(__file__).resolve().parents[2] / "assets" / "images"
PHOTOS = {
    "chelsea.png": "Chelsea the cat",
    "coffee.png": "A cup of coffee",
    "camera.png": "A man with a camera",
    "astronaut.png": "Astronaut Eileen Collins",
    "rocket.jpg": "A rocket launch",
    "brick.png": "A brick wall",
}
MAX_SIDE = 512  # larger images are scaled down before filtering
MAX_UPLOAD_PIXELS = 40_000_000  # refuse anything claiming more (a decompression bomb), before decoding it

KERNELS: dict[str, tuple[str, np.ndarray]] = {
    name: (label, np.asarray(k, np.float64))
    for name, label, k in [
        ("identity", "Identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
        ("box_blur", "Box blur", np.full((3, 3), 1 / 9)),
        ("gaussian_blur", "Gaussian blur", np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256),
        ("sharpen", "Sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
        ("excessive_sharpen", "Excessive sharpen", [[1, 1, 1], [1, -7, 1], [1, 1, 1]]),
        ("outline", "Outline (edge detect)", [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]]),
        ("emboss", "Emboss", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
        ("sobel_left", "Sobel left", [[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
        ("sobel_right", "Sobel right", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        ("sobel_top", "Sobel top", [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]),
        ("sobel_bottom", "Sobel bottom", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
        ("vertical_lines", "Vertical line detector", [[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]]),
        ("horizontal_lines", "Horizontal line detector", [[-1, -1, -1], [2, 2, 2], [-1, -1, -1]]),
    ]
}


# --- the operations -------------------------------------------------------------------------------


def output_size(n: int, k: int, stride: int = 1, padding: str = "valid") -> int:
    """out = floor((n + 2p - k) / s) + 1, with p = 0 for "valid" and (k - 1) / 2 for "same" (odd k)."""
    p = padding_amount(k, padding)
    return math.floor((n + 2 * p - k) / stride) + 1


def padding_amount(k: int, padding: str) -> int:
    return (k - 1) // 2 if padding == "same" else 0


def convolve(image, kernel, stride: int = 1, padding: str = "valid") -> np.ndarray:
    """The signed response of ``kernel`` slid over a 2-D image (cross-correlation, as Keras's Conv2D).

    "same" zero-pads by (k - 1) / 2 on each side, so for odd kernels the
    output size follows the formula in ``output_size`` exactly.
    """
    import tensorflow as tf

    image = np.asarray(image, np.float32)
    kernel = np.asarray(kernel, np.float32)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError("convolve takes a 2-D image and a 2-D kernel")
    p = padding_amount(kernel.shape[0], padding), padding_amount(kernel.shape[1], padding)
    padded = np.pad(image, ((p[0], p[0]), (p[1], p[1])))
    if padded.shape[0] < kernel.shape[0] or padded.shape[1] < kernel.shape[1]:
        raise ValueError("the kernel is larger than the image")
    out = tf.nn.conv2d(padded[None, :, :, None], kernel[:, :, None, None], strides=stride, padding="VALID")
    return out.numpy()[0, :, :, 0].astype(np.float64)


def pool(image, size: int = 2, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Max or average pooling with a size x size window (stride defaults to the size), no padding."""
    import tensorflow as tf

    stride = stride or size
    x = np.asarray(image, np.float32)[None, :, :, None]
    if mode == "max":
        out = tf.nn.max_pool2d(x, size, stride, "VALID")
    elif mode == "average":
        out = tf.nn.avg_pool2d(x, size, stride, "VALID")
    else:
        raise ValueError(f"unknown pooling {mode!r}")
    return out.numpy()[0, :, :, 0].astype(np.float64)


def flipped(kernel) -> np.ndarray:
    """The kernel turned by 180 degrees: mathematical convolution is cross-correlation with this."""
    return np.asarray(kernel)[::-1, ::-1]


# --- the kernel's walk over a small grid ------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    row: int  # output cell
    col: int
    top: int  # window's top-left corner in the padded grid
    left: int
    products: np.ndarray
    total: float


def walk(grid, kernel, stride: int = 1, padding: str = "valid") -> tuple[np.ndarray, list[Window]]:
    """The zero-padded grid and every window position in reading order, with its products and sum."""
    grid, kernel = np.asarray(grid, np.float64), np.asarray(kernel, np.float64)
    p = padding_amount(kernel.shape[0], padding)
    padded = np.pad(grid, p)
    k = kernel.shape[0]
    rows, cols = output_size(grid.shape[0], k, stride, padding), output_size(grid.shape[1], k, stride, padding)
    windows = []
    for r in range(rows):
        for c in range(cols):
            top, left = r * stride, c * stride
            products = padded[top : top + k, left : left + k] * kernel
            windows.append(Window(r, c, top, left, products, float(products.sum())))
    return padded, windows


def pool_walk(values, size: int = 2, mode: str = "max") -> list[Window]:
    """Every pooling window over ``values`` in reading order (stride = size, no padding): its patch and its answer.

    ``products`` holds the patch itself, ``total`` the largest value (max) or the mean (average) of it.
    """
    values = np.asarray(values, np.float64)
    answer = {"max": np.max, "average": np.mean}[mode]
    rows, cols = values.shape[0] // size, values.shape[1] // size
    windows = []
    for r in range(rows):
        for c in range(cols):
            patch = values[r * size : (r + 1) * size, c * size : (c + 1) * size]
            windows.append(Window(r, c, r * size, c * size, patch.copy(), float(answer(patch))))
    return windows


@dataclass(frozen=True)
class WalkView:
    """Everything the walk view shows: the padded grid, each kernel window, the output and its 2 x 2 max pooling."""

    padded: np.ndarray
    kernel: np.ndarray
    padding: int  # zero rows/columns added on each side
    windows: list[Window]
    output: np.ndarray
    pools: list[Window]  # empty when the output is smaller than 2 x 2
    pooled: np.ndarray | None

    def terms(self, at: int) -> str:
        """Window ``at`` (1-based) written out: ``a·b + ... = total``, negative factors in brackets."""
        w = self.windows[at - 1]
        k = self.kernel.shape[0]
        cells = self.padded[w.top : w.top + k, w.left : w.left + k].ravel()
        products = (
            f"{a:g}·{b:g}" if b >= 0 else f"{a:g}·({b:g})" for a, b in zip(cells, self.kernel.ravel(), strict=True)
        )
        return f"{' + '.join(products)} = **{w.total:g}**"

    def pool_terms(self, at: int) -> str:
        w = self.pools[at - 1]
        return f"max({', '.join(f'{v:g}' for v in w.products.ravel())}) = **{w.total:g}**"


def walk_view(grid_values, kernel, stride: int = 1, padding: str = "valid") -> WalkView:
    kernel = np.asarray(kernel, np.float64)
    padded, windows = walk(grid_values, kernel, stride, padding)
    rows = output_size(np.asarray(grid_values).shape[0], kernel.shape[0], stride, padding)
    output = np.array([w.total for w in windows]).reshape(rows, len(windows) // rows)
    pools = pool_walk(output, 2) if min(output.shape) >= 2 else []
    pooled = np.array([w.total for w in pools]).reshape(output.shape[0] // 2, output.shape[1] // 2) if pools else None
    return WalkView(padded, kernel, padding_amount(kernel.shape[0], padding), windows, output, pools, pooled)


# --- images -------------------------------------------------------------------------------------------


class BadImage(ValueError):
    """An upload that cannot be used; the message is meant for the participant."""


def load_photo(name: str) -> np.ndarray:
    """A shipped photo as RGB uint8 (H, W, 3), scaled to at most MAX_SIDE."""
    if name not in PHOTOS:
        raise KeyError(name)
    from PIL import Image

    with Image.open(IMAGES_DIR / name) as image:
        return _rgb_array(image)


@functools.cache
def photo_size(name: str) -> tuple[int, int]:
    """A shipped photo's size as stored (width, height), read from its header."""
    from PIL import Image

    with Image.open(IMAGES_DIR / name) as image:
        return image.size


def load_upload(data: bytes) -> tuple[np.ndarray, list[str]]:
    """An uploaded file as RGB uint8, scaled to at most MAX_SIDE, with notes on what was changed.

    Raises BadImage with a message for anything that is not a usable image.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise BadImage("The file is empty.")
    notes = []
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_UPLOAD_PIXELS:
                raise BadImage(
                    f"The image claims {width:,} x {height:,} pixels; the limit is {MAX_UPLOAD_PIXELS:,} pixels."
                )
            if getattr(image, "n_frames", 1) > 1:
                notes.append("It is animated: the first frame is used.")
                image.seek(0)
            array = _rgb_array(image)
    except BadImage:
        raise
    except Image.DecompressionBombError as err:
        raise BadImage(f"The image claims more pixels than the limit of {MAX_UPLOAD_PIXELS:,}.") from err
    except UnidentifiedImageError as err:
        raise BadImage("This file is not an image that can be read (PNG, JPEG or WebP work).") from err
    except (OSError, ValueError, SyntaxError) as err:
        raise BadImage("The image is damaged or cut short and cannot be read.") from err
    if max(width, height) > MAX_SIDE:
        notes.append(f"It was {width} x {height} pixels; it is scaled down to at most {MAX_SIDE} on the long side.")
    return array, notes


def _rgb_array(image) -> np.ndarray:
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: scale to 8 bits instead of clipping
        values = np.asarray(image, np.float64)
        top = values.max() or 1.0
        image = Image.fromarray((values / top * 255).astype(np.uint8), "L")
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(image, np.uint8)


def grey(rgb: np.ndarray) -> np.ndarray:
    """Luminance in [0, 1] (ITU-R 601, as PIL's "L")."""
    rgb = np.asarray(rgb, np.float64) / 255.0
    return rgb @ np.array([0.299, 0.587, 0.114])


def pattern(name: str, side: int = 128) -> np.ndarray:
    """Synthetic test images in [0, 1]: a checkerboard, a vertical step edge, a disc."""
    y, x = np.mgrid[0:side, 0:side]
    if name == "checkerboard":
        return (((x // (side // 8)) + (y // (side // 8))) % 2).astype(np.float64)
    if name == "step_edge":
        return (x >= side // 2).astype(np.float64)
    if name == "circle":
        return ((x - side / 2) ** 2 + (y - side / 2) ** 2 <= (side / 3) ** 2).astype(np.float64)
    raise KeyError(name)


PATTERNS = {"checkerboard": "Checkerboard", "step_edge": "A vertical step edge", "circle": "A disc"}


# --- grids for the kernel's walk --------------------------------------------------------------------

GRIDS = {"edge": "A vertical edge of 10s and 0s", "corner": "A bright corner", "random": "Random digits 0-9"}
WALK_KERNELS = {"vertical": ("Vertical edge [1, 0, −1]", [[1, 0, -1]] * 3),
                "horizontal": ("Horizontal edge", [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]),
                "box": ("Box (sum of 9)", [[1, 1, 1]] * 3),
                "sharpen": ("Sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])}  # fmt: skip


def grid(name: str, size: int = 6, seed: int = 0) -> np.ndarray:
    if name == "edge":
        return np.tile(np.where(np.arange(size) < size // 2, 10.0, 0.0), (size, 1))
    if name == "corner":
        out = np.zeros((size, size))
        out[: size // 2, : size // 2] = 10.0
        return out
    if name == "random":
        return np.random.default_rng(seed).integers(0, 10, (size, size)).astype(np.float64)
    raise KeyError(name)


# --- the page's settings ----------------------------------------------------------------------------


PARTS = {"photo": "Filters on photos", "walk": "The kernel's walk", "learned": "What a CNN learned"}
SOURCES = {**PHOTOS, **PATTERNS, "digit": "An MNIST digit", "upload": "Your own image"}
PADDINGS = ("valid", "same")
POOLS = {"none": "No pooling", "max": "Max pooling", "average": "Average pooling"}


@dataclass(frozen=True)
class ConvolutionSettings:
    part: str = choice("photo", PARTS)
    image: str = choice("chelsea.png", SOURCES)
    kernel: str = choice("sobel_right", (*KERNELS, "custom"))
    custom: tuple[float, ...] = numbers(
        (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0), -100.0, 100.0, min_len=9, max_len=25
    )
    colour: bool = flag(False)
    relu: bool = flag(False)
    stride: int = number(1, 1, 3)
    padding: str = choice("valid", PADDINGS)
    pool: str = choice("none", POOLS)
    pool_size: int = number(2, 2, 3)
    flip: bool = flag(False)
    grid: str = choice("edge", GRIDS)
    grid_size: int = number(6, 4, 10)
    walk_kernel: str = choice("vertical", WALK_KERNELS)
    walk_stride: int = number(1, 1, 3)
    walk_padding: str = choice("valid", PADDINGS)

    def repaired(self) -> ConvolutionSettings:
        """A custom kernel is 3 x 3 or 5 x 5."""
        if len(self.custom) in (9, 25):
            return self
        return replace(self, custom=ConvolutionSettings().custom)

    def base_kernel(self) -> np.ndarray:
        """The kernel as chosen or typed, before any flip."""
        if self.kernel == "custom":
            side = int(round(len(self.custom) ** 0.5))
            return np.asarray(self.custom, np.float64).reshape(side, side)
        return KERNELS[self.kernel][1]

    def kernel_array(self) -> np.ndarray:
        """The kernel the filter slides: flipped for the mathematical convolution."""
        return flipped(self.base_kernel()) if self.flip else self.base_kernel()


def edited_kernel(base: np.ndarray, edits: dict) -> tuple[np.ndarray, bool]:
    """``base`` with a data editor's edited cells applied; True when a cell was left empty (read as 0)."""
    out = np.array(base, np.float64)
    empty = False
    for row, cells in (edits or {}).items():
        for col, value in cells.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                number, empty = 0.0, True
            if not np.isfinite(number):
                number, empty = 0.0, True
            out[int(row), int(col)] = float(np.clip(number, -100, 100))
    return out, empty


def filter_image(image: np.ndarray, s: ConvolutionSettings) -> tuple[np.ndarray, np.ndarray | None]:
    """The signed response (H', W') or per RGB channel (H', W', 3), and the pooled result if asked."""
    kernel = s.kernel_array()
    channels = [image[..., c] for c in range(3)] if image.ndim == 3 else [image]
    responses = [convolve(ch, kernel, s.stride, s.padding) for ch in channels]
    response = np.stack(responses, axis=-1) if len(responses) > 1 else responses[0]
    detected = np.maximum(response, 0) if s.relu else response
    if s.pool == "none":
        return response, None
    if min(detected.shape[:2]) < s.pool_size:
        return response, None
    pooled = [pool(detected[..., c] if detected.ndim == 3 else detected, s.pool_size, mode=s.pool)
              for c in range(detected.shape[-1] if detected.ndim == 3 else 1)]  # fmt: skip
    return response, (np.stack(pooled, axis=-1) if len(pooled) > 1 else pooled[0])


def signed_limit(values: np.ndarray) -> float:
    """A signed colour scale's end: the 99.5th percentile of |values|, so a few extreme pixels do not wash it out.

    Taken from every other row and column (np.partition, 0.2 ms for 512 x 512; np.percentile of all took 3 ms).
    Never 0: an all-zero response gets 1.
    """
    magnitudes = np.abs(np.asarray(values)[::2, ::2]).ravel()
    k = int(0.995 * (magnitudes.size - 1))
    return float(np.partition(magnitudes, k)[k]) or float(np.max(np.abs(values))) or 1.0


def working_image(image: np.ndarray, colour: bool) -> np.ndarray:
    """What the filter slides over: RGB in [0, 1] when each channel is filtered, else grey in [0, 1]."""
    if image.ndim != 3:
        return image
    return image / 255.0 if colour else grey(image)


def size_formula(n_rows: int, n_cols: int, s: ConvolutionSettings, response: np.ndarray, pooled) -> str:
    """The output-size arithmetic for this image and these settings, as Markdown."""
    k = s.kernel_array().shape[0]
    p = padding_amount(k, s.padding)
    text = (
        f"**{n_rows} x {n_cols}** image, **{k} x {k}** kernel, stride **{s.stride}**, padding **{s.padding}** "
        f"(p = {p}):  \nout = ⌊(n + 2p − k) / s⌋ + 1 = ⌊({n_rows} + {2 * p} − {k}) / {s.stride}⌋ + 1 = "
        f"**{response.shape[0]}** rows, **{response.shape[1]}** columns"
    )
    if pooled is not None:
        text += f"  \nthen {s.pool} pooling {s.pool_size} x {s.pool_size}: **{pooled.shape[0]} x {pooled.shape[1]}**"
    return text


def feature_maps(image: np.ndarray, kernels: np.ndarray, biases: np.ndarray, count: int, side: int = 160) -> list:
    """The first ``count`` first-layer kernels' maps on ``image`` (after ReLU), each scaled to its own maximum.

    The image is thinned to about ``side`` pixels first: plenty for 28 x 28-sized detectors to show.
    """
    work = grey(image) if image.ndim == 3 else image
    step = max(1, max(work.shape) // side)
    work = work[::step, ::step]
    maps = [np.maximum(convolve(work, kernels[:, :, 0, i], padding="same") + biases[i], 0) for i in range(count)]
    return [m / (m.max() or 1.0) for m in maps]  # strong and weak detectors both show
