"""Class mode's library side: push summaries, progress, wall thumbnails and captions, the room's figures."""

import numpy as np
import pytest

from dlviz.classroom import figures, share
from dlviz.convolution.engine import ConvolutionSettings
from dlviz.core.training import History
from dlviz.playground.engine import PlaygroundSettings


def test_a_push_summary_says_the_data_and_the_network_in_words():
    s = PlaygroundSettings(data="xor", layers=(2,), activations=("tanh",))
    assert share.summary("Playground", s) == "Playground: XOR, one hidden layer of 2 neurons, learning rate 0.03"
    deep = PlaygroundSettings(data="spiral", layers=(8, 8, 4), activations=("tanh",) * 3)
    assert "3 hidden layers of 8, 8, 4 neurons" in share.summary("Playground", deep)
    assert "no hidden layer" in share.summary("Playground", PlaygroundSettings(layers=(), activations=()))


def test_a_push_summary_of_another_page_names_its_open_part():
    assert share.summary("Convolution", ConvolutionSettings(part="walk")) == "Convolution: The kernel's walk"
    assert share.summary("Home", None) == "Home"


class FakeRun:
    def __init__(self, history, epoch, diverged=False):
        self.history, self.epoch, self.diverged = history, epoch, diverged


def test_progress_reports_the_validation_accuracy_or_loss_and_divergence():
    h = History(loss=[1.0, 0.5], val_loss=[1.1, 0.6], accuracy=[0.5, 0.7], val_accuracy=[0.4, 0.8])
    assert share.progress(FakeRun(h, 2)) == {"epoch": 2, "metric": 0.8, "metric_name": "val_accuracy",
                                             "diverged": False}  # fmt: skip
    regression = History(loss=[1.0], val_loss=[float("nan")])
    p = share.progress(FakeRun(regression, 1, diverged=True))
    assert p["metric_name"] == "val_loss" and p["metric"] is None and p["diverged"]
    assert share.progress(None) is None


def test_a_boundary_thumbnail_is_a_small_rgb_picture_with_y_upwards():
    grid = np.zeros((50, 50))
    grid[25:] = 1.0  # class 1 where y is high (the grid's later rows)
    thumb = share.boundary_thumbnail(grid)
    assert thumb.shape == (64, 64, 3) and thumb.dtype == np.uint8
    top, bottom = thumb[0, 0], thumb[-1, 0]
    assert top[2] > top[0] and bottom[0] > bottom[2]  # blue on top, orange below
    assert share.boundary_thumbnail(np.full((10, 10), np.nan)).shape == (64, 64, 3)
    with pytest.raises(ValueError):
        share.boundary_thumbnail(np.zeros(5))


def test_network_info_and_its_caption():
    s = PlaygroundSettings(data="xor", layers=(4, 2), activations=("tanh", "tanh"))
    h = History(loss=[0.5], val_loss=[0.4], accuracy=[0.9], val_accuracy=[0.925])
    info = share.network_info(s, h, 25, {"data": "xor"})
    assert info["weights"] == 25 and info["epochs"] == 1 and info["val_accuracy"] == 0.925
    assert share.network_caption(info) == "XOR · [4, 2] · 25 weights · val. accuracy 92%"
    assert share.network_caption({"layers": []}).endswith("no hidden layer · 0 weights · not trained")


def test_confusion_counts_meant_against_read():
    drawings = [{"label": 7, "read": 7}, {"label": 1, "read": 7}, {"label": 1, "read": 1}, {"label": None}]
    matrix, accuracy = share.confusion(drawings)
    assert matrix[7, 7] == 1 and matrix[1, 7] == 1 and matrix.sum() == 3 and accuracy == pytest.approx(2 / 3)
    assert share.confusion([])[1] is None


def test_the_dashboard_reads_accuracies_as_percentages_and_losses_as_numbers():
    roster = [
        {"nickname": "ada", "page": "Playground", "epoch": 40, "metric": 1.0, "metric_name": "val_accuracy", "seen_s": 1, "stuck": False},
        {"nickname": "bo", "page": "Overfitting", "epoch": 3, "metric": 0.012345, "metric_name": "val_loss", "seen_s": 2, "stuck": False},
        {"nickname": "cy", "page": "Playground", "epoch": 9, "metric": float("nan"), "metric_name": "val_loss", "seen_s": 0, "stuck": True},
        {"nickname": "di", "page": "", "epoch": None, "metric": None, "metric_name": None, "seen_s": 5, "stuck": False},
    ]  # fmt: skip
    rows = share.roster_rows(roster)
    assert [r["validation"] for r in rows] == ["100%", "0.01235", "diverged", ""]
    assert [r["measure"] for r in rows] == ["accuracy", "loss", "loss", ""]
    assert list(rows[0]) == ["nickname", "page", "epoch", "validation", "measure", "seen (s ago)", "stuck"]


def test_the_accuracy_histogram_counts_only_finite_accuracies():
    roster = [{"metric": 0.91, "metric_name": "val_accuracy"}, {"metric": None, "metric_name": "val_accuracy"},
              {"metric": 0.3, "metric_name": "val_loss"}, {"metric": float("nan"), "metric_name": "val_accuracy"}]  # fmt: skip
    assert share.accuracy_histogram(roster) == [0.91]
    fig = figures.accuracy_histogram([0.91, 0.93, 0.2], target=0.9)
    assert sum(fig.data[0].y) == 3 and fig.layout.shapes[0].x0 == 0.9


def test_figures_build_with_plotly_validation():
    import plotly.graph_objects as go

    matrix = np.zeros((10, 10), int)
    matrix[7, 7], matrix[1, 7] = 3, 1
    for fig in (figures.confusion_figure(matrix), figures.poll_figure(["Yes", "No"], [2, 1]),
                figures.accuracy_histogram([], target=None)):  # fmt: skip
        go.Figure(fig.to_dict())  # raises on any property Plotly does not know


def test_poll_labels_show_markup_as_typed():
    fig = figures.poll_figure(["<b>bold</b> & <a href='x'>link</a>"], [1])
    assert fig.data[0].y[0] == "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href='x'&gt;link&lt;/a&gt;"


def test_a_drawing_is_a_small_png_of_dark_ink_on_white():
    import io

    from PIL import Image

    from dlviz.classroom import figures

    seven = np.zeros((28, 28))
    seven[4:8, 4:24] = 1.0
    seven[0, 0] = np.nan  # whatever a client sent, the picture is made
    png = figures.drawing_png(seven)
    picture = np.asarray(Image.open(io.BytesIO(png)))
    assert picture.shape == (28, 28) and len(png) < 600
    assert picture[5, 10] < 10 and picture[20, 10] > 245 and picture[0, 0] > 245


def test_the_wall_grid_shows_nicknames_as_typed_in_text_with_misreads_in_red():
    from html.parser import HTMLParser

    from dlviz.classroom import figures
    from dlviz.core import theme

    names = ["ada", "💥<script>alert(1)</script>", "مرحبا", "a" * 40 + '" onload="x']
    grid = figures.drawing_grid(["data:image/png;base64,AAAA"] * 4, names, [7, 7, 1, 3], [False, True, False, False])

    class Read(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.attrs, self.bdi, self.inside = [], [], [], False

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            self.attrs.append(dict(attrs))
            self.inside = tag == "bdi"

        def handle_endtag(self, tag):
            self.inside = False

        def handle_data(self, data):
            if self.inside:
                self.bdi.append(data)

    read = Read()
    read.feed(grid)
    assert "script" not in read.tags  # the nickname is text, not markup
    assert read.bdi == names  # every name exactly as typed, each in its own bidi isolate
    assert all("onload" not in a for a in read.attrs)  # a quote in a name does not open an attribute
    images = [a for t, a in zip(read.tags, read.attrs, strict=True) if t == "img"]
    assert [i["alt"] for i in images] == ["meant 7", "meant 7, misread", "meant 1", "meant 3"]
    assert theme.VERMILLION in images[1]["style"] and theme.VERMILLION not in images[0]["style"]


def test_an_overfitting_race_is_described_with_its_regularizers_and_the_baseline_beside_it():
    from dlviz.overfitting.engine import OverfittingSettings

    s = OverfittingSettings(width=8, depth=2, dropout=0.25, early_stopping=False)
    reg = History(loss=[0.5], val_loss=[0.4], accuracy=[0.9], val_accuracy=[0.875])
    base = History(loss=[0.1], val_loss=[0.9], accuracy=[1.0], val_accuracy=[0.7])
    info = share.race_info(s, reg, base, 105, {"width": "8"})
    assert info["page"] == "overfitting" and share.page_path(info) == "pages/overfitting.py"
    assert info["val_accuracy"] == 0.875 and info["baseline_val_loss"] == 0.9
    assert share.network_caption(info) == (
        "Moons · [8, 8] · dropout 0.25 · 105 weights · val. accuracy 88% · baseline's val. loss 0.9"
    )
    assert share.page_path({}) == "pages/playground.py"  # items sent before pages were recorded


def test_a_curve_thumbnail_draws_the_points_and_an_unbroken_line():
    axis = np.linspace(-3, 3, 200)
    thumb = share.curve_thumbnail(axis, np.sin(1.5 * axis), np.array([0.0]), np.array([0.0]))
    assert thumb.shape == (64, 64, 3) and thumb.dtype == np.uint8
    ink = (thumb == 26).all(axis=-1)
    assert ink.any(axis=0).all()  # every column has the line
    assert ink[:32].any() and ink[32:].any()  # it goes up and down
    assert (thumb[30:34, 30:34] != 255).any()  # the point at the centre
    with pytest.raises(ValueError):
        share.curve_thumbnail(axis, np.zeros(3), np.zeros(0), np.zeros(0))
    share.curve_thumbnail(axis, np.full(200, np.nan), np.zeros(0), np.zeros(0))  # a diverged fit still draws
