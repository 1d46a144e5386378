"""The Playground in a real browser: Debian's chromium, driven by Playwright, against `streamlit run`."""

import re

import pytest

from dlviz.tools.serve import browser, main_area, read_epoch, streamlit_server, wait_drawn, wait_idle


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture
def page():
    with browser(1400, 900) as p:
        yield p


# The plane's canvas holds the boundary's colours (not only white) and some points' class colours.
PLANE_PAINTED = """() => {
  const c = document.querySelector('[data-testid="stMain"] .dlviz-plane canvas.plot');
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let coloured = 0;
  for (let i = 0; i < d.length; i += 4 * 97) if (Math.abs(d[i] - d[i + 2]) > 40) coloured++;
  return coloured > 50;
}"""


def plane_point(page, x: float, y: float) -> tuple[float, float]:
    """Where the plane's point (x, y) is on screen: its canvas spans -6..6 on both axes inside its margins
    (the component's layout: the plot's left margin is 2.6 fonts, its top 6 px). Waits for it to be drawn."""
    page.locator('[data-testid="stMain"] .dlviz-plane[data-drawn] canvas.plot').first.wait_for(timeout=60_000)
    return page.evaluate(
        """([x, y]) => {
            const c = document.querySelector('[data-testid="stMain"] .dlviz-plane canvas.plot');
            const box = c.getBoundingClientRect(), font = parseFloat(getComputedStyle(c.parentElement).fontSize);
            const left = Math.round(font * 2.6), side = box.width - left - 12;
            return [box.left + left + (x + 6) / 12 * side, box.top + 6 + (6 - y) / 12 * side];
        }""",
        [x, y],
    )


def test_play_makes_the_epoch_counter_rise_without_errors(server, page):
    from playwright.sync_api import expect

    page.goto(server + "/playground?epochs=0")  # until paused
    main = main_area(page)
    expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    main.get_by_role("button", name="Play").click()
    expect(main).to_contain_text(re.compile(r"Epoch [1-9]\d*"), timeout=60_000)
    first = read_epoch(page)
    expect(main).not_to_contain_text(f"Epoch {first} ·", timeout=30_000)
    assert read_epoch(page) > first
    main.get_by_role("button", name="Pause").click()
    expect(main.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)
    expect(main.locator('[data-testid="stException"]')).to_have_count(0)
    expect(main.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    expect(main.locator(".js-plotly-plot")).to_have_count(0)  # everything that moves is drawn on canvases:
    expect(main.locator(".dlviz-plane[data-drawn]")).to_have_count(1)  # the boundary,
    expect(main.locator(".dlviz-diagram[data-drawn]")).to_have_count(1)  # the network,
    expect(main.locator(".dlviz-curves[data-drawn]")).to_have_count(2)  # the loss and the accuracy
    assert page.evaluate(PLANE_PAINTED), "the plane's canvas has the boundary's colours and the points"


def test_phone_sized_window_shows_the_page(server):
    from playwright.sync_api import expect

    with browser(390, 844) as phone:
        phone.goto(server + "/playground")
        main = main_area(phone)
        expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways on a phone ({width} px)"
        # The settings are folded away with the sidebar: the page says where they are.
        expect(main.get_by_test_id("dlvizSidebarHint")).to_be_visible()
        expect(main.get_by_test_id("dlvizSidebarHint")).to_contain_text("Settings")


def test_the_sidebar_hint_is_hidden_where_the_sidebar_is_open(server, page):
    from playwright.sync_api import expect

    page.goto(server + "/playground")
    main = main_area(page)
    expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stSidebar").get_by_text("Data set")).to_be_visible()
    expect(main.get_by_test_id("dlvizSidebarHint")).to_be_hidden()


def test_projector_mode_fits_the_page_names_and_enlarges_the_controls(server):
    """The back row reads the navigation and the chosen values, not only the labels (all from Streamlit's DOM:
    this fails if an upgrade renames what the projector style relies on)."""
    from playwright.sync_api import expect

    with browser(1920, 1080) as wall:
        wall.goto(server + "/playground?projector=1")
        main = main_area(wall)
        expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
        side = wall.get_by_test_id("stSidebar")
        expect(side.get_by_text("Data set")).to_be_visible()
        names = side.get_by_test_id("stSidebarNavLink")
        assert names.count() >= 7
        cut = names.evaluate_all("links => links.map(a => a.querySelector('p')).filter(p => p.scrollWidth > p.clientWidth)"
                                 ".map(p => p.textContent)")  # fmt: skip
        assert cut == [], f"page names cut off: {cut}"
        toggle = side.get_by_text("Projector mode")
        # the label's line boxes: one top edge means one line (its computed line-height is not the rendered one)
        lines = toggle.evaluate("e => { const r = document.createRange(); r.selectNodeContents(e);"
                                " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }")  # fmt: skip
        assert lines == 1, "the Projector mode label wraps"
        value_px = side.locator('[data-testid="stSelectbox"] input').first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert value_px >= 20, f"chosen values stay small ({value_px} px)"


def test_clicks_on_the_plane_add_points_and_step_trains_on_them(server, page):
    from playwright.sync_api import expect

    page.goto(server + "/playground?data=own")
    main = main_area(page)
    expect(main.get_by_text("click on the plane to add points")).to_be_visible(timeout=120_000)
    wait_drawn(page)
    page.mouse.click(*plane_point(page, -3.0, 3.0))
    expect(main.get_by_text("1 of 60 points added")).to_be_visible(timeout=60_000)
    main.get_by_text("adds class 1").click()
    wait_drawn(page)
    page.mouse.click(*plane_point(page, 3.0, -3.0))
    expect(main.get_by_text("2 of 60 points added")).to_be_visible(timeout=60_000)
    added = re.search(r"added=([-\d%C,]+)", page.url).group(1).replace("%2C", ",")
    assert [int(v) for v in added.split(",")] == [-30, 30, 0, 30, -30, 1]  # where the clicks fell, in tenths
    main.get_by_role("button", name="Step").click()
    expect(main.get_by_text(re.compile(r"Epoch 1 ·"))).to_be_visible(timeout=60_000)
    main.get_by_role("button", name="Step").click()
    expect(main.get_by_text(re.compile(r"Epoch 2 ·"))).to_be_visible(timeout=60_000)
    expect(main.locator('[data-testid="stException"]')).to_have_count(0)


def test_a_click_on_an_edge_of_the_diagram_picks_its_weight(server, page):
    from playwright.sync_api import expect

    page.goto(server + "/playground")
    main = main_area(page)
    expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    main.get_by_text("Edit a weight").click()
    expect(main.get_by_text("Click an edge or a node")).to_be_visible(timeout=60_000)
    wait_drawn(page)  # the diagram drawn again as a clickable one: a click on the old one is lost
    # A quarter of the way along the edge from H1.3 (x 7 + 1, y -1.5) to H2.1 (x 14 - 1, y 1.5), in the
    # diagram's units (its middle is where H1.2 -> H2.2 crosses it), placed by the canvas's own geometry.
    x, y = page.evaluate(
        """([x, y]) => {
            const root = document.querySelector('[data-testid="stMain"] .dlviz-diagram[data-drawn]');
            const g = JSON.parse(root.dataset.geometry), box = root.querySelector("canvas").getBoundingClientRect();
            return [box.left + g.ox + x * g.scale, box.top + g.oy - y * g.scale];
        }""",
        [9.25, -0.75],
    )
    page.mouse.move(x, y)
    expect(main.get_by_text("weight H1.3 → H2.1 =")).to_be_visible(timeout=10_000)  # the hover names it
    page.mouse.click(x, y)
    expect(main.get_by_text("Weight H1.3 → H2.1")).to_be_visible(timeout=60_000)
    expect(main.locator('[data-testid="stException"]')).to_have_count(0)


def test_while_paused_step_and_the_boards_toggles_redraw_the_board_alone(server, page):
    from playwright.sync_api import expect

    sent: list[bytes] = []  # what the server sends after each click
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: sent.append(f if isinstance(f, bytes) else b"")))
    page.goto(server + "/playground")
    main = main_area(page)
    expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    wait_drawn(page)
    kept = """() => { document.querySelector('[data-testid="stMain"] .dlviz-plane canvas').dataset.kept = "1"; }"""
    for n in (1, 2):
        sent.clear()
        page.evaluate(kept)  # the plane's canvas, marked: a Step that redraws the board in place keeps it
        main.get_by_role("button", name="Step").click()
        expect(main.get_by_text(re.compile(rf"Epoch {n} ·"))).to_be_visible(timeout=60_000)
        wait_drawn(page)
        assert any(b"dlviz_plane" in f for f in sent), "the board is drawn again"
        assert not any(b"Learning rate" in f for f in sent), "the sidebar is not sent again"
        # Each script run starts with a message that lists the app's pages: one run per Step, not a second after it
        assert sum(b"Building blocks" in f for f in sent) == 1, "the board runs once per Step"
        assert page.locator('[data-testid="stMain"] .dlviz-plane canvas[data-kept="1"]').count() == 1, (
            "the plane is redrawn where it is, not taken down and put up again"
        )
    sent.clear()
    main.get_by_text("Discretize output").click()
    page.wait_for_url(re.compile(r"discrete=1"), timeout=60_000)  # a setting changed on the board: in the link
    wait_drawn(page)
    assert not any(b"Learning rate" in f for f in sent)
    assert read_epoch(page) == 2  # the same run, drawn as classes
    main.get_by_text("Discretize output").click()  # and back: the link and the picture follow again
    page.wait_for_url(lambda url: "discrete" not in url, timeout=60_000)
    main.get_by_text("Discretize output").click()
    page.wait_for_url(re.compile(r"discrete=1"), timeout=60_000)
    page.get_by_role("slider", name="Learning rate").focus()  # a sidebar setting: the whole page, as always
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"lr=0\.1"), timeout=60_000)
    main.get_by_role("button", name="Step").click()
    expect(main.get_by_text(re.compile(r"Epoch 3 ·"))).to_be_visible(timeout=60_000)  # the learning rate: adopted
    expect(main.get_by_role("switch", name="Discretize output")).to_be_checked()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_a_click_while_playing_gets_through_and_training_goes_on(server, page):
    from playwright.sync_api import expect

    sent: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: sent.append(f if isinstance(f, bytes) else b"")))
    page.goto(server + "/playground?epochs=0")
    main = main_area(page)
    expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    wait_drawn(page)
    sent.clear()
    main.get_by_role("button", name="Play").click()
    expect(main).to_contain_text(re.compile(r"Epoch ([3-9]|\d{2,}) ·"), timeout=60_000)
    assert not any(b"Learning rate" in f for f in sent), "Play trains in the board's fragment: no sidebar sent"
    toggle = main.get_by_role("switch", name="Discretize output")
    main.get_by_text("Discretize output").click()  # while the training loop runs
    expect(toggle).to_be_checked(timeout=30_000)
    page.wait_for_url(re.compile(r"discrete=1"), timeout=60_000)  # the server took the click: the link says so
    playing = read_epoch(page)
    expect(main).not_to_contain_text(f"Epoch {playing} ·", timeout=30_000)  # and training went on
    page.get_by_role("slider", name="Learning rate").focus()  # a sidebar setting: the whole page reruns
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"lr=0\.1"), timeout=60_000)
    playing = read_epoch(page)
    expect(main).not_to_contain_text(f"Epoch {playing} ·", timeout=30_000)  # training goes on from there
    main.get_by_role("button", name="Pause").click()
    expect(main.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)
    wait_idle(page)
    paused = read_epoch(page)
    main.get_by_role("button", name="Step").click()  # the loop stopped: one Step is one epoch more
    expect(main.get_by_text(re.compile(rf"Epoch {paused + 1} ·"))).to_be_visible(timeout=60_000)
    assert read_epoch(page) == paused + 1
    expect(main.locator('[data-testid="stException"]')).to_have_count(0)
