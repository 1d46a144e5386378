"""The Data lab in a real browser: upload a CSV, train on it, read the results."""

import re
from pathlib import Path

import pytest
from csv_corpus import corpus

from dlviz.tools.serve import browser, main_area, streamlit_server, wait_idle


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


def test_upload_a_csv_and_train_on_it(server, tmp_path: Path):
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
        expect(main.get_by_text(re.compile(r"Test set, weights of epoch 40"))).to_be_visible(timeout=60_000)
        expect(main.locator('[data-testid="stException"]')).to_have_count(0)
        assert main.locator(".js-plotly-plot").count() >= 3  # the loss, the accuracy, the confusion matrix
