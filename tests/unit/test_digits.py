"""Digit preprocessing (the MNIST recipe) and the shipped classifier."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dlviz.digits import engine as digits

CANVAS = 280


@pytest.fixture(scope="module")
def subset():
    return digits.load_subset()


def canvas_from_mnist(digit28: np.ndarray, height: int, centre: tuple[int, int], style: str = "alpha") -> np.ndarray:
    """Paint an MNIST digit onto a 280 x 280 canvas at a given size and place, in a stroke style."""
    rows, cols = np.flatnonzero(digit28.any(axis=1)), np.flatnonzero(digit28.any(axis=0))
    crop = digit28[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    width = max(1, round(crop.shape[1] * height / crop.shape[0]))
    big = np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.BILINEAR))
    ink = np.zeros((CANVAS, CANVAS), np.uint8)
    top, left = centre[0] - height // 2, centre[1] - width // 2
    ink[top : top + height, left : left + width] = big
    return stroke_style(ink, style)


def stroke_style(ink: np.ndarray, style: str) -> np.ndarray:
    if style == "alpha":  # the canvas: white strokes on a transparent background
        rgba = np.zeros((*ink.shape, 4), np.uint8)
        rgba[..., :3] = 255
        rgba[..., 3] = ink
        return rgba
    if style == "light_on_dark":
        return np.repeat(ink[..., None], 3, axis=2)
    if style == "dark_on_light":
        return 255 - ink
    raise ValueError(style)


def drawn(points, width: int, style: str = "alpha") -> np.ndarray:
    image = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(image).line(points, fill=255, width=width, joint="curve")
    return stroke_style(np.asarray(image), style)


SEVEN = [(70, 60), (210, 60), (140, 230)]
ONE = [(140, 40), (140, 240)]
ZERO = [(140, 40), (200, 80), (210, 160), (140, 240), (75, 160), (80, 80), (140, 40)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


@pytest.mark.parametrize("style", ["alpha", "light_on_dark", "dark_on_light"])
def test_all_three_stroke_styles_give_the_same_input(subset, style):
    digit = subset["x_test"][0]
    reference = digits.preprocess(canvas_from_mnist(digit, 200, (140, 140), "alpha"))
    out = digits.preprocess(canvas_from_mnist(digit, 200, (140, 140), style))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() == pytest.approx(1.0)
    np.testing.assert_allclose(out, reference, atol=0.02)


def test_output_follows_the_mnist_recipe(subset):
    out = digits.preprocess(canvas_from_mnist(subset["x_test"][3], 150, (90, 190)))
    rows, cols = np.flatnonzero(out.max(axis=1) > 0.05), np.flatnonzero(out.max(axis=0) > 0.05)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21  # fits 20 x 20
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 >= 18  # and fills it
    from scipy import ndimage

    cy, cx = ndimage.center_of_mass(out)
    assert abs(cy - 13.5) < 1.0 and abs(cx - 13.5) < 1.0  # centred by mass


def test_small_in_a_corner_and_large_in_the_middle_look_alike(subset):
    digit = subset["x_test"][1]
    large = digits.preprocess(canvas_from_mnist(digit, 220, (140, 140)))
    small = digits.preprocess(canvas_from_mnist(digit, 50, (40, 235)))
    assert similarity(large, small) > 0.85
    naive_large = digits.naive_shrink(digits.to_ink(canvas_from_mnist(digit, 220, (140, 140))))
    naive_small = digits.naive_shrink(digits.to_ink(canvas_from_mnist(digit, 50, (40, 235))))
    assert similarity(naive_large, naive_small) < 0.3  # what the recipe fixes


def test_thin_and_thick_strokes_look_alike():
    thin, thick = digits.preprocess(drawn(SEVEN, 8)), digits.preprocess(drawn(SEVEN, 28))
    assert similarity(thin, thick) > 0.7


def test_a_slipped_pen_speck_does_not_shrink_the_digit():
    clean = drawn(ONE, 18)
    speck = clean.copy()
    speck[260:266, 10:16, 3] = 255  # a dot far away in the corner
    np.testing.assert_allclose(digits.preprocess(speck), digits.preprocess(clean), atol=1e-6)


def test_a_digit_drawn_as_many_dots_is_kept():
    dots = np.zeros((CANVAS, CANVAS), np.uint8)
    for i in range(30):  # a 1 tapped out as 30 separate dots
        dots[20 + 7 * i : 24 + 7 * i, 138:142] = 255
    out = digits.preprocess(stroke_style(dots, "light_on_dark"))
    assert out is not None and out.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "empty",
    [
        np.zeros((CANVAS, CANVAS, 4), np.uint8),  # untouched transparent canvas
        np.full((CANVAS, CANVAS, 3), 255, np.uint8),  # blank white RGB
        np.zeros((CANVAS, CANVAS), np.float32),  # blank black grey
    ],
)
def test_empty_drawings_give_none_and_predict_refuses_them(empty):
    assert digits.preprocess(empty) is None
    with pytest.raises(ValueError, match="empty"):
        digits.as_model_input(empty)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((10, 10, 2)), "shape"),
        (np.zeros((5,)), "shape"),
        (np.zeros((2, 2, 2, 2)), "shape"),
        (np.array([["a", "b"]]), "dtype"),
        (np.zeros((5000, 10)), "sides"),
        (np.zeros((0, 10)), "sides"),
    ],
)
def test_wrong_shapes_and_dtypes_get_clear_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        digits.preprocess(bad)


def test_none_gets_a_clear_error():
    with pytest.raises(ValueError, match="draw a digit"):
        digits.predict(None)


def test_nan_pixels_do_not_break_preprocessing():
    image = drawn(ONE, 18, "light_on_dark").astype(np.float32)
    image[0, 0] = np.nan
    assert digits.preprocess(image) is not None


# --- the shipped model ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def classifier():
    return digits.load_classifier()


def test_shipped_model_is_small_and_has_no_optimizer_state(classifier):
    assert digits.MODEL_PATH.stat().st_size < 2 * 1024 * 1024
    assert getattr(classifier.model, "optimizer", None) is None
    assert len(classifier.conv_layers) == 4


def test_shipped_model_reads_the_shipped_test_digits(classifier, subset):
    probs = classifier.probabilities(subset["x_test"] / 255.0)
    assert probs.shape == (2000, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert np.mean(probs.argmax(axis=1) == subset["y_test"]) >= 0.99


@pytest.mark.parametrize("digit, strokes", [(1, [ONE]), (0, [ZERO]), (7, [SEVEN])])
@pytest.mark.parametrize("width", [10, 30])
def test_drawn_strokes_are_read_correctly_thin_or_thick(classifier, digit, strokes, width):
    image = Image.new("L", (CANVAS, CANVAS), 0)
    for stroke in strokes:
        ImageDraw.Draw(image).line(stroke, fill=255, width=width, joint="curve")
    probs = digits.predict(stroke_style(np.asarray(image), "alpha"), classifier)
    assert probs.argmax() == digit, probs.round(2)


def test_same_digit_anywhere_and_any_size_gets_the_same_answer(classifier, subset):
    for i in range(10):
        digit, label = subset["x_test"][i], subset["y_test"][i]
        large = digits.predict(canvas_from_mnist(digit, 220, (140, 140)), classifier).argmax()
        corner = digits.predict(canvas_from_mnist(digit, 60, (45, 230), "dark_on_light"), classifier).argmax()
        assert large == corner == label


def test_predict_takes_a_28x28_digit_as_it_is(classifier, subset):
    probs = digits.predict(subset["x_test"][0], classifier)
    assert probs.shape == (10,) and probs.argmax() == subset["y_test"][0]


def test_feature_maps_have_the_layer_shapes(classifier, subset):
    maps = classifier.feature_maps(subset["x_test"][0] / 255.0)
    assert [m.shape for m in maps] == [(26, 26, 32), (24, 24, 32), (10, 10, 64), (8, 8, 64)]


def test_many_threads_share_one_classifier(classifier, subset):
    from concurrent.futures import ThreadPoolExecutor

    images = subset["x_test"][:64] / 255.0
    expected = classifier.probabilities(images)

    def one(i):
        return classifier.probabilities(images[i % 64][None])[0]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(400)))
    for i, probs in enumerate(results):
        np.testing.assert_allclose(probs, expected[i % 64], atol=1e-5)


# --- too little ink, and other canvas sizes ------------------------------------------------------


def pen_drawn(points, width: int, side: int = CANVAS) -> np.ndarray:
    """Strokes as the canvas paints them: round caps, white on a transparent ``side`` x ``side`` canvas."""
    image = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(image)
    if len(points) > 1:
        draw.line(points, fill=255, width=width, joint="curve")
    for x, y in points:
        draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    return stroke_style(np.asarray(image), "alpha")


@pytest.mark.parametrize("width", [6, 18, 40])
@pytest.mark.parametrize(
    "points", [[(140, 140)], [(140, 140), (150, 151)], [(30, 250), (40, 240)]], ids=["dot", "tick", "corner tick"]
)
def test_a_dot_or_a_tiny_tick_is_too_little_ink_to_read(width, points):
    steps = digits.preprocess_steps(pen_drawn(points, width))
    assert steps is not None and not steps.enough_ink, steps.travel  # there is ink, but too little
    assert digits.preprocess(pen_drawn(points, width)) is None
    with pytest.raises(ValueError, match="too little ink"):
        digits.as_model_input(pen_drawn(points, width))


@pytest.mark.parametrize("height, width", [(40, 6), (30, 10), (40, 10), (60, 18)])
def test_a_small_one_with_a_thin_pen_is_enough_ink_and_reads_as_a_one(classifier, height, width):
    """The smallest real digits: a 1 of 40 px with the thinnest pen travels about twice the threshold."""
    one = pen_drawn([(200, 60), (200, 60 + height - width)], width)
    steps = digits.preprocess_steps(one)
    assert steps.enough_ink, steps.travel
    assert digits.predict(one, classifier).argmax() == 1


def test_the_ink_threshold_sits_between_a_tick_and_a_small_one():
    tick = digits.preprocess_steps(pen_drawn([(140, 140), (150, 151)], 6)).travel
    one = digits.preprocess_steps(pen_drawn([(140, 140), (140, 174)], 6)).travel
    assert tick < digits.MIN_TRAVEL < one
    assert one == pytest.approx(34 / CANVAS, abs=0.01)  # the pen's travel, not the stroke's length with its caps


def test_the_ink_threshold_is_a_share_of_the_canvas_whatever_its_size():
    side, scale = digits.PROJECTOR_CANVAS_SIDE, digits.PROJECTOR_CANVAS_SIDE / CANVAS
    pen = digits.pen_width(6, side)
    tick = [(140 * scale, 140 * scale), (150 * scale, 151 * scale)]
    one = [(140 * scale, 140 * scale), (140 * scale, 174 * scale)]
    assert not digits.preprocess_steps(pen_drawn(tick, pen, side)).enough_ink
    assert digits.preprocess_steps(pen_drawn(one, pen, side)).enough_ink


def test_the_pen_grows_with_the_canvas():
    assert digits.pen_width(18, digits.CANVAS_SIDE) == 18
    assert digits.pen_width(18, 420) == 27 and digits.pen_width(6, 420) == 9
    assert digits.pen_width(1, 10) == 1


@pytest.mark.parametrize("digit, points", [(7, SEVEN), (0, ZERO), (1, ONE)])
def test_the_larger_projector_canvas_gives_the_same_input(classifier, digit, points):
    side = digits.PROJECTOR_CANVAS_SIDE
    scale = side / CANVAS
    small = digits.preprocess(pen_drawn(points, 18))
    large_image = pen_drawn([(x * scale, y * scale) for x, y in points], digits.pen_width(18, side), side)
    large = digits.preprocess(large_image)
    assert large.shape == (28, 28) and similarity(small, large) > 0.95
    assert digits.predict(large_image, classifier).argmax() == digit


def test_a_reading_names_the_runner_up_only_when_unsure():
    sure = digits.reading([0.01] * 9 + [0.91])
    assert (sure.digit, sure.second, sure.sure) == (9, None, "91%")
    unsure = digits.reading([0.0, 0.45, 0.0, 0.0, 0.0, 0.0, 0.0, 0.55, 0.0, 0.0])
    assert (unsure.digit, unsure.second) == (7, 1)


def test_shown_maps_are_the_first_sixteen_each_on_its_own_scale():
    maps = np.zeros((4, 4, 20))
    maps[0, 0, 1] = 5.0
    shown = digits.shown_maps(maps)
    assert len(shown) == 16 and shown[1].max() == 1.0 and shown[0].max() == 0.0


# --- "Train your own" on uploaded digits (a room's export) ----------------------------------------


def npz(**arrays) -> bytes:
    import io

    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def test_a_rooms_export_reads_back_as_mnist_layout_digits():
    from dlviz.classroom.store import Store, make_engine

    db = Store(make_engine("sqlite://"))
    room, token = db.create_room("t")
    ada = db.join(room.code, "ada")[0]
    for k in range(12):
        db.send_digit(ada, np.full((28, 28), 20.0 * (k % 10)), k % 10, k % 10)
    got = digits.read_digits_npz(db.drawings_npz(room.code, token))
    assert got["x_train"].shape == (12, 28, 28) and got["x_train"].dtype == np.uint8
    assert got["y_train"].tolist() == [k % 10 for k in range(12)] and "x_test" not in got
    sample = {"x_test": np.zeros((5, 28, 28), np.uint8), "y_test": np.zeros(5, np.uint8)}
    mixed = digits.own_data(got, sample)
    assert len(mixed["y_train"]) == 12 and len(mixed["y_test"]) == 5  # tested on MNIST when it has no test part


def test_uploaded_digits_keep_their_own_test_part_and_scaled_or_channel_pictures():
    x = np.random.default_rng(0).random((20, 28, 28, 1))  # already 0..1, with a channel axis
    got = digits.read_digits_npz(npz(x_train=x, y_train=np.arange(20) % 10, x_test=x[:4], y_test=np.arange(4)))
    assert got["x_train"].shape == (20, 28, 28) and got["x_train"].max() > 200
    assert digits.own_data(got, {})["x_test"].shape == (4, 28, 28)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"not a zip at all", "not a NumPy .npz"),
        (npz(x=np.zeros((20, 28, 28))), r"x_train \(the pictures\) and y_train"),
        (npz(x_train=np.zeros((20, 32, 32)), y_train=np.zeros(20)), "28x28 pictures"),
        (npz(x_train=np.zeros((20, 28, 28)), y_train=np.zeros(19)), "one digit for each of the 20"),
        (npz(x_train=np.full((20, 28, 28), 300.0), y_train=np.zeros(20)), "between 0 and 255"),
        (npz(x_train=np.full((20, 28, 28), np.nan), y_train=np.zeros(20)), "between 0 and 255"),
        (npz(x_train=np.zeros((20, 28, 28)), y_train=np.full(20, 12)), "digits 0 to 9"),
        (npz(x_train=np.zeros((3, 28, 28)), y_train=np.zeros(3)), "at least 10"),
        (npz(x_train=np.array(["a"] * 20), y_train=np.zeros(20)), "28x28"),
        (npz(x_train=np.zeros((20, 28, 28), object), y_train=np.zeros(20)), "not a NumPy .npz"),  # pickled
        (b"x" * (digits.MAX_UPLOAD_BYTES + 1), "larger than 20 MB"),
    ],
)
def test_bad_digit_files_get_a_plain_reason(raw, message):
    with pytest.raises(digits.BadDigits, match=message):
        digits.read_digits_npz(raw)


def test_an_uploaded_name_is_quoted_safely_in_the_program():
    assert digits.safe_file_name("room ABC-digits.npz") == "room-ABC-digits.npz"
    assert digits.safe_file_name('../../etc/"; import os') == "import-os.npz"
    assert digits.safe_file_name("") == "digits.npz"
