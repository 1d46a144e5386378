"""Drawing digits on the real canvas: Debian's chromium driven by Playwright against `streamlit run`."""

import math

import pytest

from dlviz.tools.serve import browser, clear_canvas, main_area, streamlit_server, wait_drawn, wait_idle

STROKES = {
    "1": [[(140, 40), (140, 240)]],
    "0": [[(140 + 60 * math.sin(t / 20 * 2 * math.pi), 140 - 95 * math.cos(t / 20 * 2 * math.pi)) for t in range(21)]],
    "7": [[(70, 50), (210, 50), (120, 245)]],
}
READS = "The network reads a"

# What is on top at a point of the drawing surface, looking into the canvas's shadow root.
_TOP_ELEMENT_JS = """([surface, x, y]) => {
  const box = surface.getBoundingClientRect();
  let e = document.elementFromPoint(box.x + x, box.y + y);
  while (e && e.shadowRoot) { const inner = e.shadowRoot.elementFromPoint(box.x + x, box.y + y); if (!inner || inner === e) break; e = inner; }
  return e ? e.tagName.toLowerCase() + "." + [...e.classList].join(".") : "nothing";
}"""
# How much ink the canvas holds around a point (its strokes' layer, in canvas pixels).
_INK_AT_JS = """([surface, x, y]) => {
  const ink = surface.getRootNode().querySelector("canvas.dc-canvas.lower-canvas");
  const scale = ink.width / surface.getBoundingClientRect().width;
  const data = ink.getContext("2d").getImageData(Math.round(x * scale) - 2, Math.round(y * scale) - 2, 5, 5).data;
  let alpha = 0; for (let i = 3; i < data.length; i += 4) alpha = Math.max(alpha, data[i]);
  return alpha;
}"""


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def tab():
    """One browser tab for the module (Playwright's sync API runs one at a time); tests point it where they need."""
    with browser(1400, 1000) as page:
        yield page


def open_digits(page, server: str, query: str = "", size: tuple[int, int] = (1400, 1000)):
    """The Digits page at ``query`` in a window of ``size``: a fresh session unless the tab already shows it."""
    url = f"{server}/digits{query}"
    if page.url != url or page.viewport_size != {"width": size[0], "height": size[1]}:
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.goto(url)
    return page


@pytest.fixture
def digits_page(tab, server):
    return open_digits(tab, server)


@pytest.fixture(params=["normal", "projector"])
def any_page(request, tab, server):
    """The Digits page at the normal window size, and in projector mode on a 1920 x 1080 screen."""
    if request.param == "normal":
        return open_digits(tab, server)
    return open_digits(tab, server, "?projector=1", (1920, 1080))


def surface(page):
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=120_000)
    wait_drawn(page)  # lazily loaded elements above the canvas must not move it while the pen is down
    canvas.scroll_into_view_if_needed()
    canvas.element_handle().wait_for_element_state("stable")
    return canvas


def draw(page, strokes) -> None:
    box = surface(page).bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
        page.mouse.up()


def ready(page) -> None:
    from playwright.sync_api import expect

    expect(main_area(page).get_by_text("Draw a digit in the black square.")).to_be_visible(timeout=120_000)
    wait_idle(page)


@pytest.mark.parametrize("digit", ["1", "0", "7"])
def test_drawn_digit_is_read_and_clear_empties_the_canvas(digits_page, digit):
    from playwright.sync_api import expect

    main = main_area(digits_page)
    ready(digits_page)
    draw(digits_page, STROKES[digit])
    expect(main.get_by_text(f"{READS} {digit},")).to_be_visible(timeout=30_000)
    expect(main.get_by_text("answers with a digit whatever you draw")).to_be_visible()  # the caveat, by the answer
    expect(main.locator('[data-testid="stException"]')).to_have_count(0)
    clear_canvas(digits_page)
    expect(main.get_by_text("Draw a digit in the black square.")).to_be_visible()
    expect(main.get_by_text(READS)).to_have_count(0)


def test_strokes_starting_anywhere_in_the_square_draw_and_are_read(any_page):
    """Corners, edges and the middle: nothing may lie over the drawing surface (the toolbar once did, at the top)."""
    from playwright.sync_api import expect

    page, main = any_page, main_area(any_page)
    ready(page)
    side = surface(page).bounding_box()["width"]
    assert side == (420 if "projector=1" in page.url else 280)
    centre, edges = side / 2, (10, side / 2, side - 10)
    for y in edges:
        for x in edges:
            canvas = surface(page)
            on_top = page.evaluate(_TOP_ELEMENT_JS, [canvas.element_handle(), x, y])
            assert on_top == "canvas.dc-canvas.upper-canvas", f"at ({x:.0f}, {y:.0f}) of the square: {on_top}"
            end = (x + (centre - x) / 2, y + (centre - y) / 2) if (x, y) != (centre, centre) else (centre, side - 40)
            draw(page, [[(x, y), end]])
            expect(main.get_by_text(READS)).to_be_visible(timeout=30_000)
            assert page.evaluate(_INK_AT_JS, [canvas.element_handle(), x, y]) > 128, (
                f"no ink where the pen went down at ({x:.0f}, {y:.0f})"
            )
            clear_canvas(page)


def test_the_canvas_toolbar_sits_above_the_square_and_its_undo_and_redo_work(any_page):
    from playwright.sync_api import expect

    page, main = any_page, main_area(any_page)
    ready(page)
    toolbar = page.locator(".dc-toolbar").first
    expect(toolbar).to_be_visible()
    assert toolbar.bounding_box()["y"] + toolbar.bounding_box()["height"] <= surface(page).bounding_box()["y"] + 0.5
    draw(page, STROKES["7"])
    expect(main.get_by_text(f"{READS} 7,")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Undo").click()
    expect(main.get_by_text("Draw a digit in the black square.")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Redo").click()
    expect(main.get_by_text(f"{READS} 7,")).to_be_visible(timeout=30_000)
    clear_canvas(page)


@pytest.mark.parametrize("stroke", [[(140, 140), (141, 141)], [(60, 220), (70, 228)]], ids=["dot", "tick"])
def test_a_dot_or_a_tick_is_too_little_ink_to_read(digits_page, stroke):
    from playwright.sync_api import expect

    main = main_area(digits_page)
    ready(digits_page)
    draw(digits_page, [stroke])
    expect(main.get_by_text("Too little ink to read: draw a whole digit.")).to_be_visible(timeout=30_000)
    expect(main.get_by_text(READS)).to_have_count(0)
    old = digits_page.locator("canvas.upper-canvas").first.element_handle()
    main.get_by_role("button", name="Clear").click()
    digits_page.wait_for_function("el => !el.isConnected", arg=old, timeout=60_000)
    ready(digits_page)


def test_the_square_fits_a_phone_and_reads_a_digit(tab, server):
    from playwright.sync_api import expect

    page = open_digits(tab, server, size=(390, 844))
    ready(page)
    box = surface(page).bounding_box()
    assert box["width"] == 280 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    toolbar = page.locator(".dc-toolbar").first.bounding_box()
    assert toolbar["x"] >= 0 and toolbar["x"] + toolbar["width"] <= 390
    draw(page, STROKES["1"])
    expect(main_area(page).get_by_text(f"{READS} 1,")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    clear_canvas(page)


def test_a_link_opens_train_your_own_and_the_trained_network_reads_on_draw(tab, server):
    from playwright.sync_api import expect

    page = open_digits(tab, server, "?part=own&own_epochs=1")
    main = main_area(page)
    expect(main.get_by_role("tab", name="Train your own")).to_have_attribute("aria-selected", "true", timeout=120_000)
    main.get_by_role("button", name="Train").click()
    expect(main.get_by_text("Your network reads")).to_be_visible(timeout=120_000)
    main.get_by_role("tab", name="Draw").click()
    ready(page)
    assert "part=" not in page.url
    draw(page, STROKES["1"])
    expect(main.get_by_text(f"{READS} 1,")).to_be_visible(timeout=30_000)
    expect(main.get_by_text("Your network (Dense) reads a")).to_be_visible()
    clear_canvas(page)
