"""Drawing digits on the real canvas: Debian's chromium driven by Playwright against `streamlit run`."""

import math

import pytest

from dlviz.bench import browser, clear_canvas, main_area, streamlit_server, wait_drawn, wait_idle

pytestmark = pytest.mark.browser

STROKES = {
    "1": [[(140, 40), (140, 240)]],
    "0": [[(140 + 60 * math.sin(t / 20 * 2 * math.pi), 140 - 95 * math.cos(t / 20 * 2 * math.pi)) for t in range(21)]],
    "7": [[(70, 50), (210, 50), (120, 245)]],
}


@pytest.fixture(scope="module")
def digits_page():
    with streamlit_server() as url, browser(1400, 1000) as page:
        page.goto(url + "/digits")
        yield page


def draw(page, strokes) -> None:
    surface = page.locator("canvas.upper-canvas").first
    surface.wait_for(timeout=120_000)
    wait_drawn(page)  # lazily loaded elements above the canvas must not move it while the pen is down
    surface.element_handle().wait_for_element_state("stable")
    box = surface.bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
        page.mouse.up()


@pytest.mark.parametrize("digit", ["1", "0", "7"])
def test_drawn_digit_is_read_and_clear_empties_the_canvas(digits_page, digit):
    from playwright.sync_api import expect

    main = main_area(digits_page)
    expect(main.get_by_text("Draw a digit in the black square.")).to_be_visible(timeout=120_000)
    wait_idle(digits_page)
    draw(digits_page, STROKES[digit])
    expect(main.get_by_text(f"The network reads a {digit},")).to_be_visible(timeout=30_000)
    expect(main.locator('[data-testid="stException"]')).to_have_count(0)
    clear_canvas(digits_page)
    expect(main.get_by_text("Draw a digit in the black square.")).to_be_visible()
    expect(main.get_by_text("The network reads a")).to_have_count(0)
