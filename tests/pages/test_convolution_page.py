"""The Convolution page headless (AppTest): filters, the walk, the learned kernels, and every odd upload."""

import json

import pytest
from conftest import open_page as _open
from conftest import programs
from streamlit.testing.v1 import AppTest
from upload_corpus import corpus

from dlviz.ui import plain

BAD = {"text-named.png", "empty.png", "truncated.jpg", "bomb.png"}
TOO_SMALL = {"one-pixel.png", "very-wide.png"}  # 10000 x 10 becomes 512 x 1 on the way to 512 pixels


def open_page(**params) -> AppTest:
    return _open("pages/convolution.py", **params)


def pictures(at: AppTest) -> int:
    return len(at.get("image"))


def text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def test_filters_show_image_response_and_the_output_size_formula():
    at = open_page()
    assert pictures(at) == 2  # the image and the raw response (no ReLU, no pooling yet)
    assert "**300 x 451** image" in text(at) and "= **298** rows, **449** columns" in text(at)
    at.slider(key="cv.stride").set_value(3).run()
    assert "= **100** rows, **150** columns" in text(at)
    at.selectbox(key="cv.pool").set_value("max").run()
    assert "max pooling 2 x 2: **50 x 75**" in text(at) and pictures(at) == 3
    assert any("Conv2D" in c and "MaxPooling2D(2)" in c for c in programs(at))


def test_pool_size_is_only_offered_with_a_pooling():
    at = open_page()
    size = next(w for w in at.get("button_group") if w.proto.label == "Pool size")
    assert size.proto.disabled  # "No pooling": nothing to size
    at.selectbox(key="cv.pool").set_value("max").run()
    size = next(w for w in at.get("button_group") if w.proto.label == "Pool size")
    assert not size.proto.disabled


def test_same_padding_keeps_the_size_and_a_5x5_custom_kernel_works():
    at = open_page(padding="same", kernel="custom", custom=",".join(["0.04"] * 25))
    assert not at.exception
    assert "**5 x 5** kernel" in text(at) and "(p = 2)" in text(at) and "= **300** rows, **451** columns" in text(at)


@pytest.mark.parametrize("part, charts", [("walk", 6), ("learned", 2)])
def test_other_tabs_load(part, charts):
    at = open_page(part=part)
    assert len(at.get("plotly_chart")) == charts


def test_the_walk_moves_and_fills_the_output():
    at = open_page(part="walk")
    assert "= **0**" in text(at)  # the first window sits inside the 10s
    at.slider(key="cv.step.16").set_value(2).run()
    assert "= **30**" in text(at)  # the second straddles the edge


@pytest.mark.parametrize("name", sorted(corpus()))
def test_every_upload_gets_a_message_or_a_filtered_image(name):
    at = open_page(image="upload")
    assert "Choose an image file" in " ".join(i.value for i in at.info)
    at.get("file_uploader")[0].upload(name, corpus()[name], "image/png").run()
    assert not at.exception
    if name in BAD:
        assert at.error and at.error[0].value.startswith(plain(name)) and pictures(at) == 0  # the name, escaped
    elif name in TOO_SMALL:
        assert "too small for a 3 x 3 kernel" in at.error[0].value
    else:
        assert not at.error and pictures(at) == 2, [e.value for e in at.error]


def test_hostile_link_falls_back():
    at = open_page(kernel="<script>", custom="1,2,3", stride="9", image="../../etc/passwd", part="nope")
    assert "not understood" in " ".join(w.value for w in at.warning)
    assert pictures(at) == 2


def test_walk_button_plays_every_position_and_stops_at_the_end():
    at = open_page(part="walk", grid_size="4")  # a 2 x 2 output: four positions
    next(b for b in at.button if b.label == "Walk").click().run()
    assert not at.exception
    assert at.slider(key="cv.step.4").value == 4
    assert "row 2, column 2" in text(at)
    assert "max(30, 30, 30, 30) = **30**" in text(at)  # then the pooling window's single position


def test_a_large_shipped_photo_says_it_was_scaled_down():
    at = open_page(image="rocket.jpg")
    assert any("640 x 427 pixels" in c.value for c in at.caption)
    assert "**342 x 512** image" in text(at)  # 427 x 512 / 640, rounded by PIL


def test_the_pooling_window_walks_over_the_output_and_keeps_each_patch_maximum():
    at = open_page(part="walk")  # the course's edge: a 4 x 4 output of 0, 30, 30, 0 in every row
    assert "max(0, 30, 0, 30) = **30**" in text(at)
    at.slider(key="cv.pool_step.4").set_value(2).run()
    assert "row 1, column 2: max(30, 0, 30, 0) = **30**" in text(at)
    pooled = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"][0]
    assert pooled["text"] == [["30", "30"], ["", ""]]  # filled up to the second window


def test_an_output_too_small_to_pool_says_so():
    at = open_page(part="walk", grid_size="4", walk_stride="2")  # a 1 x 1 output
    assert "nothing to pool" in " ".join(c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 4


def test_filtering_each_colour_channel_shows_a_colour_result_and_each_channels_response():
    at = open_page(kernel="box_blur", colour="1")
    assert pictures(at) == 6  # the photo, the mean response, the colour result, and one response per channel
    captions = [i.captions[0] for i in at.get("image")]
    assert "in colour" in captions[2] and [c.split()[0] for c in captions[3:]] == ["Red", "Green", "Blue"]
    assert "mean of R, G, B" in captions[1]


def test_a_single_window_position_needs_no_slider():
    at = open_page(part="walk", grid_size="4", walk_stride="3")  # a 1 x 1 output: one position
    assert not at.exception and "Window position: the only one" in " ".join(c.value for c in at.caption)
    next(b for b in at.button if b.label == "Walk").click().run()
    assert not at.exception and "row 1, column 1" in text(at)
