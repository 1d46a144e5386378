"""The Gradient-descent page in a real browser: the ball's animation runs in plotly.js, the neuron trains live."""

import re

import pytest

from dlviz.tools.serve import browser, main_area, read_epoch, streamlit_server, wait_drawn, wait_idle

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


# Streamlit's front end probes <page>/_stcore/health and /host-config when a page's own address is opened; those
# 404s come back as "Failed to load resource" console errors. Nothing else may appear.
NOT_OURS = "Failed to load resource"
ROLLED = """() => {
    const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.data && p.data[0].name === 'loss curve');
    window.__rolled = false;
    plot.on('plotly_animated', () => { window.__rolled = true; });
    return plot._fullData[1].x.length;
}"""


def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(m.text) if m.type == "error" and not m.text.startswith(NOT_OURS) else None
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.mark.parametrize("query", ["lr=2&steps=200", "curve=two_valleys&lr=0.6&steps=50", "optimizer=momentum&lr=2"])
def test_a_diverging_descent_and_its_rolling_ball_log_no_browser_errors(server, query):
    from playwright.sync_api import expect

    with browser(1400, 900) as page:
        errors = console_errors(page)
        page.goto(server + "/gradient_descent?" + query)
        main = main_area(page)
        expect(main.get_by_text("diverged").first).to_be_visible(timeout=120_000)
        wait_drawn(page)
        assert page.evaluate(ROLLED) >= 2  # the path is drawn, up to where it leaves the chart
        main.get_by_text("▶ Roll the ball").click()
        page.wait_for_function("() => window.__rolled", polling=100, timeout=120_000)  # every frame was drawn
        assert errors == []


@pytest.mark.parametrize("query", ["part=race&surface=rosenbrock&lr2=1", "part=race&lr2=1&steps2=150"])
def test_optimizers_running_off_the_surface_log_no_browser_errors(server, query):
    from playwright.sync_api import expect

    with browser(1400, 900) as page:
        errors = console_errors(page)
        page.goto(server + "/gradient_descent?" + query)
        expect(main_area(page).get_by_text("ran off the surface")).to_be_visible(timeout=120_000)
        wait_drawn(page)
        assert errors == []


def test_a_diverging_neuron_logs_no_browser_errors(server):
    from playwright.sync_api import expect

    with browser(1400, 900) as page:
        errors = console_errors(page)
        page.goto(server + "/gradient_descent?part=neuron&fit_lr=1&fit_epochs=400&fit_speed=max")
        main = main_area(page)
        expect(main.get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
        main.get_by_role("button", name="Play").click()
        expect(main.get_by_text("Training diverged")).to_be_visible(timeout=120_000)
        wait_drawn(page)
        assert errors == []


STRIP_LAYOUT = """() => {
    const plot = [...document.querySelectorAll('.js-plotly-plot')]
        .find(p => p.layout && (p.layout.annotations || []).some(a => a.text.startsWith('1/(2a)')));
    const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const all = selector => [...plot.querySelectorAll(selector)].filter(e => e.textContent.trim()).map(e => [e.textContent, box(e)]);
    const size = plot._fullLayout._size, figure = box(plot);
    const lines = plot._fullLayout.shapes.filter(s => s.type === 'line')
        .map(s => figure[0] + size.l + plot._fullLayout.xaxis.l2p(Math.log10(s.x0)));
    return {figure, plotHeight: size.h, bar: [figure[1] + size.t, figure[1] + size.t + size.h], lines,
            texts: [...all('g.annotation text'), ...all('.legendtext'), ...all('.xtick text'), ...all('.xtitle')]};
}"""


@pytest.mark.parametrize("size, query", [((390, 844), ""), ((1600, 1000), ""), ((1920, 1080), "&projector=1")])
def test_the_learning_rate_strip_reads_cleanly_from_a_phone_to_a_projector(server, size, query):
    from playwright.sync_api import expect

    with browser(*size) as page:
        page.goto(server + "/gradient_descent?lr=0.4" + query)
        expect(main_area(page).get_by_text("Overshooting, but converging")).to_be_visible(timeout=120_000)
        wait_drawn(page)
        layout = page.evaluate(STRIP_LAYOUT)
        texts, (left, top, right, bottom) = layout["texts"], layout["figure"]
        names = [t for t, _ in texts]
        assert {"1/(2a) = 0.25", "1/a = 0.5", "slow", "overshoots", "diverges", "learning rate"} <= set(names)
        assert layout["plotHeight"] >= 30  # the strip itself keeps its height
        for text, (x0, y0, x1, y1) in texts:  # nothing spills off the chart...
            assert left - 1 <= x0 and x1 <= right + 1 and top - 1 <= y0 and y1 <= bottom + 1, text
        for i, (a, (ax0, ay0, ax1, ay1)) in enumerate(texts):  # ...or onto another label
            for b, (bx0, by0, bx1, by1) in texts[i + 1 :]:
                assert min(ax1, bx1) - max(ax0, bx0) <= 0.5 or min(ay1, by1) - max(ay0, by0) <= 0.5, (a, b)
        (bar_top, bar_bottom), lines = layout["bar"], layout["lines"]
        for text, (x0, y0, x1, y1) in texts:  # a word inside the strip stays within its band
            if min(y1, bar_bottom) - max(y0, bar_top) > 0.5:
                assert not any(x0 < x < x1 for x in lines), f"{text!r} spills across a threshold"
        (_, half), (_, whole) = (t for t in texts if t[0].startswith("1/"))
        em = half[3] - half[1]
        apart = max(whole[0] - half[2], half[0] - whole[2])
        assert apart >= em or min(half[3], whole[3]) <= max(half[1], whole[1]), "the threshold labels crowd together"
