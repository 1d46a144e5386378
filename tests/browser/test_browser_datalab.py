"""The Data lab in a real browser: upload a CSV, train on it, read the results, click a cell of the confusion matrix."""

import re
from pathlib import Path

import pytest
from csv_corpus import corpus

from dlviz.tools.serve import browser, main_area, streamlit_server, wait_idle


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


def test_upload_a_csv_train_on_it_and_click_a_cell_of_the_confusion_matrix(server, tmp_path: Path):
    from playwright.sync_api import expect

    path = tmp_path / "missing-values.csv"
    path.write_bytes(corpus()["missing-values.csv"])
    with browser(1400, 1000) as page:
        page.goto(server + "/datalab?source=csv&epochs=40&early_stopping=0&part=results")
        main = main_area(page)
        expect(main.get_by_text("Upload a CSV in the sidebar")).to_be_visible(timeout=120_000)
        wait_idle(page)
        page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(str(path))
        expect(main.get_by_text("Predicting")).to_be_visible(timeout=60_000)
        expect(main).to_contain_text("a: 9 missing, filled with the training rows' median")
        main.get_by_role("button", name="Play").click()
        expect(main.get_by_text(re.compile(r"Epoch 40 ·"))).to_be_visible(timeout=60_000)
        expect(main.get_by_role("button", name="Evaluate on the test set")).to_be_visible(timeout=60_000)
        main.get_by_role("button", name="Evaluate on the test set").click()
        expect(main.get_by_text(re.compile(r"Test set, evaluated once, weights of epoch 40"))).to_be_visible(
            timeout=60_000
        )
        expect(main.get_by_role("button", name="Evaluate on the test set")).to_be_disabled()  # once per run
        expect(main.locator('[data-testid="stException"]')).to_have_count(0)
        expect(main.locator(".dlviz-curves[data-drawn]")).to_have_count(2)  # the loss and the accuracy, on canvases
        expect(main.locator(".js-plotly-plot")).to_have_count(1)  # the confusion matrix
        wait_idle(page)
        cell = page.evaluate(CELL_ON_SCREEN)
        page.mouse.move(cell["x"], cell["y"])
        page.mouse.click(cell["x"], cell["y"])
        what = f"true {cell['true']}, predicted {cell['read']}"
        listed = main.get_by_text(re.compile(rf"^{cell['count']} rows: {re.escape(what)}"))
        expect(listed).to_be_visible(timeout=60_000)
        # the selectbox (a phone's way to pick a cell) follows the click: its combobox's value, in the same rerun
        picker = main.locator('[data-testid="stSelectbox"]').filter(has_text="Show the rows")
        assert f"{what} ({cell['count']})" in picker.aria_snapshot()
        expect(main.locator('[data-testid="stException"]')).to_have_count(0)


def test_the_first_screen_draws_the_scales_and_the_curves_on_canvases_without_plotly(server):
    """The Data part's first screen: the scales' bars painted (both colours), the curves' axes; no Plotly chart,
    whose library costs a new tab most of a second to load."""
    from playwright.sync_api import expect

    with browser(1400, 1000) as page:
        page.goto(server + "/datalab")  # wine, the Data part
        main = main_area(page)
        expect(main.locator(".dlviz-bars[data-drawn]")).to_have_count(1, timeout=120_000)
        expect(main.locator(".dlviz-curves[data-drawn]")).to_have_count(2)
        main.locator(".dlviz-bars").scroll_into_view_if_needed()
        colours = page.evaluate(BARS_COLOURS)
        assert colours["vermillion"] > 50 and colours["blue"] > 50, colours  # as read, after Normalization
        expect(main.locator(".js-plotly-plot")).to_have_count(0)
        expect(main.locator('[data-testid="stException"]')).to_have_count(0)


# Pixels of the scales' canvas in the bars' two colours (theme.VERMILLION, theme.BLUE), roughly.
BARS_COLOURS = """() => {
  const c = document.querySelector('[data-testid="stMain"] .dlviz-bars canvas');
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let vermillion = 0, blue = 0;
  for (let i = 0; i < d.length; i += 4 * 13) {
    if (d[i] > 180 && d[i + 1] < 130 && d[i + 2] < 80) vermillion++;
    if (d[i] < 60 && d[i + 1] > 90 && d[i + 1] < 150 && d[i + 2] > 160) blue++;
  }
  return {vermillion, blue};
}"""


# The confusion matrix's clickable layer (the scatter trace "cells"): a cell with rows, a mistake if there is
# one, scrolled into view, and where it is on the screen.
CELL_ON_SCREEN = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => (g.data || []).some(t => t.name === 'cells'));
  gd.scrollIntoView({block: 'center'});
  const cells = gd.data.find(t => t.name === 'cells');
  const full = cells.customdata.map((c, n) => n).filter(n => +cells.text[n] > 0);
  const n = full.find(n => cells.customdata[n][0] !== cells.customdata[n][1]) ?? full[0];
  const [i, j] = cells.customdata[n], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return {x: box.left + xa._offset + xa.l2p(j), y: box.top + ya._offset + ya.l2p(i), count: +cells.text[n],
          true: cells.y[n], read: cells.x[n]};
}"""
