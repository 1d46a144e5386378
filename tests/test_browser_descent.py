"""The Gradient-descent page in a real browser: the ball's animation runs in plotly.js, the neuron trains live."""

import re

import pytest

from dlviz.bench import browser, main_area, read_epoch, streamlit_server, wait_idle

pytestmark = pytest.mark.browser

BALL_X = """() => {
    const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.data && p.data[0].name === 'loss curve');
    return plot ? plot.data[3].x[0] : null;
}"""


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


def test_roll_the_ball_animates_from_the_start_in_the_browser(server):
    from playwright.sync_api import expect

    with browser(1400, 900) as page:
        page.goto(server + "/gradient_descent?steps=20&x0=0")
        main = main_area(page)
        roll = main.get_by_text("▶ Roll the ball")
        expect(roll).to_be_visible(timeout=120_000)
        wait_idle(page)
        assert page.evaluate(BALL_X) == pytest.approx(5, abs=0.01)  # after 20 steps the ball rests at the minimum
        roll.click()
        page.wait_for_function(f"() => ({BALL_X})() < 1", polling=20, timeout=30_000)  # back at the start, x = 0
        page.wait_for_function(f"() => ({BALL_X})() > 4.99", polling=50, timeout=60_000)  # and rolled down again
        expect(main.locator('[data-testid="stException"]')).to_have_count(0)


def test_the_neuron_trains_live_and_stops_at_its_budget(server):
    from playwright.sync_api import expect

    with browser(1400, 900) as page:
        page.goto(server + "/gradient_descent?part=neuron&fit_epochs=150&fit_speed=250")
        main = main_area(page)
        expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
        main.get_by_role("button", name="Play").click()
        expect(main).to_contain_text(re.compile(r"Epoch [1-9]\d* ·"), timeout=60_000)
        expect(main.get_by_text("Trained 150 epochs")).to_be_visible(timeout=60_000)
        assert read_epoch(page) == 150
        expect(main.locator('[data-testid="stException"]')).to_have_count(0)
        expect(main.locator(".js-plotly-plot")).to_have_count(3)
