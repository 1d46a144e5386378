"""The Convolution page's library: filters, output sizes, pooling, the kernel's walk, and uploads."""

import numpy as np
import pytest
from upload_corpus import corpus

from dlviz.convolution import engine as cv
from dlviz.convolution.engine import ConvolutionSettings

RNG = np.random.default_rng(0)
IMAGE = RNG.uniform(size=(23, 17))


def test_identity_returns_the_input():
    np.testing.assert_allclose(cv.convolve(IMAGE, cv.KERNELS["identity"][1], padding="same"), IMAGE, atol=1e-6)


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("k", [3, 5])
def test_output_sizes_follow_the_formula_and_keras(stride, padding, k):
    from tensorflow import keras

    out = cv.convolve(IMAGE, np.ones((k, k)), stride, padding)
    p = (k - 1) // 2 if padding == "same" else 0
    expected = ((23 + 2 * p - k) // stride + 1, (17 + 2 * p - k) // stride + 1)
    assert out.shape == expected == (cv.output_size(23, k, stride, padding), cv.output_size(17, k, stride, padding))
    layer = keras.layers.Conv2D(1, k, strides=stride, padding=padding)
    assert layer.compute_output_shape((1, 23, 17, 1))[1:3] == expected


def test_matches_a_keras_conv2d_layer_with_the_kernel_as_weights():
    from tensorflow import keras

    kernel = cv.KERNELS["sobel_right"][1]
    layer = keras.layers.Conv2D(1, 3, use_bias=False)
    layer.build((None, 23, 17, 1))
    layer.set_weights([kernel[:, :, None, None]])
    expected = keras.ops.convert_to_numpy(layer(IMAGE[None, :, :, None].astype("float32")))[0, :, :, 0]
    np.testing.assert_allclose(cv.convolve(IMAGE, kernel), expected, atol=1e-5)


def test_vertical_edge_kernel_responds_only_along_the_edge_with_opposite_signs():
    edge = cv.pattern("step_edge", 32)  # 0 on the left half, 1 on the right
    response = cv.convolve(edge, cv.KERNELS["sobel_right"][1], padding="valid")
    columns = np.flatnonzero(np.abs(response).max(axis=0) > 1e-6)
    assert set(columns) == {14, 15}  # the two windows that straddle x = 16
    assert np.all(response[:, columns] > 0)
    assert np.all(cv.convolve(edge, cv.KERNELS["sobel_left"][1])[:, columns] < 0)
    assert np.all(cv.convolve(1 - edge, cv.KERNELS["sobel_right"][1])[:, columns] < 0)


def test_box_blur_preserves_the_mean():
    blurred = cv.convolve(IMAGE, cv.KERNELS["box_blur"][1], padding="valid")
    inner = np.mean([IMAGE[r : r + 3, c : c + 3].mean() for r in range(21) for c in range(15)])
    assert blurred.mean() == pytest.approx(inner, rel=1e-5)
    flat = np.full((10, 10), 0.4)
    np.testing.assert_allclose(cv.convolve(flat, cv.KERNELS["gaussian_blur"][1]), 0.4, rtol=1e-5)


def test_pooling_on_a_hand_computed_example():
    grid = np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 8]], float)
    np.testing.assert_array_equal(cv.pool(grid, 2, mode="max"), [[4, 2], [2, 8]])
    np.testing.assert_allclose(cv.pool(grid, 2, mode="average"), [[2.5, 1.0], [1.25, 6.5]])
    assert cv.pool(np.zeros((7, 7)), 3).shape == (2, 2)


def test_the_kernel_walk_shows_products_and_sums():
    grid = np.tile([10, 10, 10, 0, 0, 0], (6, 1)).astype(float)  # the course's vertical edge of 10s and 0s
    kernel = np.array([[1, 0, -1]] * 3, float)
    padded, windows = cv.walk(grid, kernel)
    assert padded.shape == (6, 6) and len(windows) == 16  # a 4 x 4 output
    first = windows[0]
    assert (first.row, first.col, first.total) == (0, 0, 0.0)
    assert windows[1].products.tolist() == [[10, 0, -0.0], [10, 0, -0.0], [10, 0, -0.0]] and windows[1].total == 30
    totals = np.array([w.total for w in windows]).reshape(4, 4)
    np.testing.assert_allclose(totals, cv.convolve(grid, kernel))
    padded, windows = cv.walk(grid, kernel, stride=2, padding="same")
    assert padded.shape == (8, 8) and len(windows) == 9 and padded[0].sum() == 0


def test_flipped_kernel_is_mathematical_convolution():
    from scipy.signal import convolve2d

    kernel = cv.KERNELS["emboss"][1]
    np.testing.assert_allclose(
        cv.convolve(IMAGE, cv.flipped(kernel)), convolve2d(IMAGE, kernel, mode="valid"), atol=1e-5
    )


def test_a_kernel_larger_than_the_image_is_refused():
    with pytest.raises(ValueError, match="larger than the image"):
        cv.convolve(np.zeros((1, 1)), np.ones((3, 3)))


def test_photos_and_patterns_load():
    for name in cv.PHOTOS:
        photo = cv.load_photo(name)
        assert photo.dtype == np.uint8 and photo.ndim == 3 and max(photo.shape[:2]) <= cv.MAX_SIDE
    for name in cv.PATTERNS:
        assert cv.pattern(name).shape == (128, 128)
    assert 0 <= cv.grey(cv.load_photo("chelsea.png")).min() <= cv.grey(cv.load_photo("chelsea.png")).max() <= 1


BAD = {"text-named.png": "not an image", "empty.png": "empty", "truncated.jpg": "damaged",
       "bomb.png": "claims"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(corpus()))
def test_every_upload_is_read_or_refused_with_a_message(name):
    data = corpus()[name]
    if name in BAD:
        with pytest.raises(cv.BadImage, match=BAD[name]):
            cv.load_upload(data)
        return
    image, notes = cv.load_upload(data)
    assert image.dtype == np.uint8 and image.shape[2] == 3 and max(image.shape[:2]) <= cv.MAX_SIDE
    if name == "animated.gif":
        assert any("animated" in n for n in notes)
    if name == "very-wide.png":
        assert image.shape[1] == cv.MAX_SIDE and any("scaled down" in n for n in notes)
    if name == "sixteen-bit.png":
        assert image.max() == 255  # scaled to 8 bits, not clipped to white


def test_editing_a_kernel_cell_makes_a_custom_kernel():
    base = cv.KERNELS["sobel_right"][1]
    kernel, empty = cv.edited_kernel(base, {0: {"0": 5}, "2": {2: None}, 1: {"1": "abc"}})
    assert kernel[0, 0] == 5 and kernel[2, 2] == 0 and kernel[1, 1] == 0 and empty
    same, empty = cv.edited_kernel(base, {})
    np.testing.assert_array_equal(same, base)
    assert not empty
    clipped, _ = cv.edited_kernel(base, {0: {"0": 1e9}})
    assert clipped[0, 0] == 100


def test_settings_repair_a_custom_kernel_of_the_wrong_size():
    from dlviz.core.settings import from_query

    s, problems = from_query(cv.ConvolutionSettings, {"kernel": "custom", "custom": "1,2,3,4"})
    assert s.base_kernel().shape == (3, 3) and problems
    s, problems = from_query(cv.ConvolutionSettings, {"kernel": "custom", "custom": ",".join(["2"] * 16)})
    assert s.base_kernel().shape == (3, 3) and s.base_kernel()[1, 1] == 1  # 4 x 4 is no kernel here: the identity
    s, _ = from_query(cv.ConvolutionSettings, {"kernel": "custom", "custom": ",".join(["1"] * 25), "flip": "1"})
    assert s.kernel_array().shape == (5, 5)


def test_filter_image_per_channel_with_relu_and_pooling():
    image = RNG.uniform(size=(20, 30, 3))
    s = cv.ConvolutionSettings(kernel="sobel_right", relu=True, pool="max", pool_size=2, stride=1)
    response, pooled = cv.filter_image(image, s)
    assert response.shape == (18, 28, 3) and pooled.shape == (9, 14, 3) and pooled.min() >= 0
    grey_response, grey_pooled = cv.filter_image(image[..., 0], s)
    np.testing.assert_allclose(grey_response, response[..., 0], atol=1e-6)


def test_the_keras_program_filters_like_the_page(tmp_path):
    import re

    from programs import run_program

    from dlviz.convolution import code as convolution_code

    s = cv.ConvolutionSettings(kernel="sobel_right", stride=2, padding="same", relu=True, pool="max")
    program = convolution_code.convolution_program(s.kernel_array(), s.stride, s.padding, s.relu, s.pool, s.pool_size,
                                          str(cv.IMAGES_DIR / "chelsea.png"))  # fmt: skip
    out = run_program(program, tmp_path)
    _, pooled = cv.filter_image(cv.grey(cv.load_photo("chelsea.png")), s)
    shape = tuple(int(v) for v in re.search(r"-> output \((\d+), (\d+)\)", out).groups())
    mean = float(re.search(r"mean (\S+)", out).group(1))
    assert shape == pooled.shape and mean == pytest.approx(pooled.mean(), rel=1e-3)


def test_the_pooling_walk_keeps_the_largest_value_of_each_patch():
    grid = np.array([[1, 3, 2, 0], [4, 2, 1, 1], [0, 1, 5, 6], [2, 2, 7, 8], [9, 9, 9, 9]], float)
    windows = cv.pool_walk(grid, 2)
    assert [(w.row, w.col, w.top, w.left) for w in windows] == [(0, 0, 0, 0), (0, 1, 0, 2), (1, 0, 2, 0), (1, 1, 2, 2)]
    assert windows[0].products.tolist() == [[1, 3], [4, 2]]  # the patch itself; the odd last row is left out
    np.testing.assert_array_equal(np.array([w.total for w in windows]).reshape(2, 2), cv.pool(grid[:4], 2))
    averages = [w.total for w in cv.pool_walk(grid, 2, mode="average")]
    np.testing.assert_allclose(averages, cv.pool(grid[:4], 2, mode="average").ravel())


def test_walk_view_writes_out_each_window_and_pools_the_output():
    view = cv.walk_view(np.arange(16.0).reshape(4, 4), np.eye(3), stride=1, padding="valid")
    assert view.output.shape == (2, 2) and view.padding == 0
    # The first window's diagonal is 0, 5, 10: 15.
    assert view.terms(1) == "0·1 + 1·0 + 2·0 + 4·0 + 5·1 + 6·0 + 8·0 + 9·0 + 10·1 = **15**"
    assert view.pooled.tolist() == [[view.output.max()]]
    assert view.pool_terms(1).startswith("max(15, 18, 27, 30)")


def test_walk_view_with_same_padding_and_a_negative_kernel_brackets_the_factor():
    view = cv.walk_view(np.ones((3, 3)), [[0, 0, 0], [0, -1, 0], [0, 0, 0]], padding="same")
    assert view.padding == 1 and view.padded.shape == (5, 5) and view.output.shape == (3, 3)
    assert "1·(-1)" in view.terms(5) and view.terms(5).endswith("= **-1**")


def test_walk_view_too_small_to_pool_has_no_pools():
    view = cv.walk_view(np.ones((4, 4)), np.ones((3, 3)), stride=3)
    assert view.output.shape == (1, 1) and view.pools == [] and view.pooled is None


def test_signed_limit_ignores_a_few_extreme_pixels_and_is_never_zero():
    values = np.full((100, 100), 0.5)
    values[0, 0] = 1000.0
    assert cv.signed_limit(values) == 0.5
    assert cv.signed_limit(np.zeros((8, 8))) == 1.0
    assert cv.signed_limit(-np.ones((8, 8))) == 1.0


def test_size_formula_matches_the_response_it_describes():
    s = ConvolutionSettings(kernel="sharpen", stride=2, padding="valid", pool="max", pool_size=2)
    image = np.zeros((11, 9))
    response, pooled = cv.filter_image(image, s)
    text = cv.size_formula(11, 9, s, response, pooled)
    assert response.shape == (5, 4) and "⌊(11 + 0 − 3) / 2⌋ + 1 = **5** rows, **4** columns" in text
    assert "max pooling 2 x 2: **2 x 2**" in text


def test_feature_maps_are_relu_and_scaled_to_their_own_maximum():
    kernels = np.stack([np.ones((3, 3)), -np.ones((3, 3))], axis=-1)[:, :, None, :]
    maps = cv.feature_maps(np.random.default_rng(0).random((320, 200)), kernels, np.zeros(2), 2)
    assert maps[0].shape == (160, 100)  # thinned to about 160 px
    assert maps[0].max() == 1.0 and maps[0].min() >= 0
    assert maps[1].max() == 0.0  # a detector that never fires stays dark instead of dividing by zero
