"""Benchmarks: ``python -m dlviz.bench playground``.

Prints a readable report and, as its last line, one JSON object with the
figures (recorded in docs/benchmarks.md). Page figures are measured in a real
browser (Debian's chromium driven by Playwright) against a real
``streamlit run`` server, counting what arrives over the websocket.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from dlviz.tools.serve import (
    browser,
    clear_canvas,
    main_area,
    read_epoch,
    rss_mb,
    streamlit_process,
    streamlit_server,
    wait_drawn,
    wait_idle,
)


def bench_engine(epochs: int = 1000) -> dict:
    from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings

    run = PlaygroundRun(PlaygroundSettings())
    started = time.perf_counter()
    run.train(1)
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    run.train(epochs)
    engine = epochs / (time.perf_counter() - started)
    snap_started = time.perf_counter()
    for _ in range(50):
        run.snapshot()
    snapshot_ms = (time.perf_counter() - snap_started) / 50 * 1000
    return {"engine_epochs_per_s": round(engine, 1), "engine_compile_s": round(compile_s, 2),
            "snapshot_ms": round(snapshot_ms, 2)}  # fmt: skip


def bench_page(seconds: float = 10.0) -> dict:
    with streamlit_server() as url, browser() as page:
        frames: list[tuple[float, int, bool]] = []

        def on_ws(ws):
            ws.on("framereceived", lambda payload: frames.append(
                (time.monotonic(), len(payload), b"pg.boundary." in (payload if isinstance(payload, bytes) else payload.encode()))))  # fmt: skip

        page.on("websocket", on_ws)
        page.goto(url + "/playground?epochs=0&speed=max", wait_until="domcontentloaded")
        main = main_area(page)
        play = main.get_by_role("button", name="Play")
        play.wait_for(timeout=120_000)
        main.get_by_text("Epoch 0").first.wait_for(timeout=120_000)
        clicked = time.monotonic()
        play.click()
        page.wait_for_function(
            """() => { const m = document.querySelector('[data-testid="stMain"]').innerText
                         .match(/validation accuracy ([\\d.]+)%/); return m && parseFloat(m[1]) >= 95; }""",
            timeout=120_000,
            polling=20,
        )
        xor_seconds = time.monotonic() - clicked
        # Steady state: skip the first seconds (compilation), then measure.
        start_epoch, start_t = read_epoch(page), time.monotonic()
        main.get_by_role("button", name="Pause").wait_for()
        page.wait_for_timeout(seconds * 1000)  # the measurement window itself
        end_epoch, end_t = read_epoch(page), time.monotonic()
        main.get_by_role("button", name="Pause").click()
        window = [f for f in frames if start_t <= f[0] <= end_t]
        refreshes = sum(1 for f in window if f[2])
        return {
            "page_epochs_per_s": round((end_epoch - start_epoch) / (end_t - start_t), 1),
            "refreshes_per_s": round(refreshes / (end_t - start_t), 2),
            "update_kb": round(max((f[1] for f in window), default=0) / 1024, 1),
            "xor_seconds_to_95": round(xor_seconds, 2),
        }


# In the page, on its own clock: the time of each click (the event's time stamp), and of every change to the
# main area after it (text, elements, a chart's drawing). A change is "on screen" at the first frame painted
# after the last of them: the page's whole answer to the click, charts included. Also when the first chart of
# a newly opened tab was drawn, from the start of its navigation.
_SCREEN_TIMES_JS = r"""
window.__screen = {click: null, last: null, firstChart: null, epoch: null, goal: null};
document.addEventListener("click", (e) => {
  Object.assign(window.__screen, {click: e.timeStamp, last: null, epoch: null, goal: null});
}, true);
new MutationObserver(() => {
  const s = window.__screen, now = performance.now();
  const main = document.querySelector('[data-testid="stMain"]');
  if (s.click !== null && s.epoch === null && main && /Epoch [1-9]\d* ·/.test(main.textContent)) s.epoch = now;
  const fit = s.click !== null && s.goal === null && main && main.textContent.match(/validation accuracy ([\d.]+)%/);
  if (fit && parseFloat(fit[1]) >= 95) s.goal = now;  // the status line: XOR's fit on screen
  if (s.firstChart === null && document.querySelector(
        '[data-testid="stMain"] .js-plotly-plot .main-svg, [data-testid="stMain"] .dlviz-plane[data-drawn]')) {
    s.firstChart = now;
  }
  if (s.click !== null && now > s.click) s.last = now;
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ["data-drawn"]});  // the Playground's plane marks each redraw of its canvas
"""


def _answer_ms(page, quiet_ms: int = 400, timeout_ms: int = 60_000) -> float:
    """After a click: wait until the main area has not changed for ``quiet_ms``, then the time from the click
    to the frame painted after its last change."""
    page.wait_for_function(
        f"""() => {{ const s = window.__screen; return s.last !== null && performance.now() - s.last > {quiet_ms}
                     && document.querySelector('[data-testid="stApp"]').dataset.testScriptState === "notRunning"; }}""",
        polling=50, timeout=timeout_ms,
    )  # fmt: skip
    screen = page.evaluate("window.__screen")
    return screen["last"] - screen["click"] + 1000 / 60  # the frame after the last change


def bench_playground_screen(repeats: int = 3, clicks: int = 10) -> dict:
    """What a participant waits for on the Playground, timed in the page (issue: as instant as TensorFlow
    Playground): a new tab to its first chart, Play to the first epoch (a network this server trained before,
    and one it has not), Step and a widget change to the page's whole answer on screen, and XOR as fast as it goes
    from Play to 95% validation accuracy on screen (in fresh tabs, timed in the page as TensorFlow Playground's
    fit is: ``dlviz.tools.tfp``)."""
    from playwright.sync_api import sync_playwright

    from dlviz.tools.serve import CHROMIUM, CHROMIUM_ARGS

    opened, first_epoch, first_new, steps, changes, xor = [], [], [], [], [], []
    with streamlit_server() as url, sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def fresh_tab():
            """A tab of its own (nothing cached, a new session) that times the page on its own clock."""
            page = b.new_context(viewport={"width": 1600, "height": 1000}).new_page()
            page.add_init_script(_SCREEN_TIMES_JS)
            return page

        try:
            for i in range(repeats + 1):  # the first visit warms the server: not counted
                for layers, into in (("4,2", first_epoch), (f"{5 + i},3", first_new)):
                    page = fresh_tab()
                    query = f"layers={layers}&activations=" + ",".join(
                        ["relu"] * 2 if into is first_new else ["tanh"] * 2
                    )
                    page.goto(f"{url}/playground?{query}")
                    page.wait_for_function("() => window.__screen.firstChart !== null", polling=20, timeout=120_000)
                    if into is first_epoch:
                        opened.append(page.evaluate("window.__screen.firstChart") / 1000)
                    wait_drawn(page)
                    main = main_area(page)
                    main.get_by_role("button", name="Play").click()
                    page.wait_for_function("() => window.__screen.epoch !== null", polling=20, timeout=120_000)
                    seen = page.evaluate("[window.__screen.click, window.__screen.epoch + 1000 / 60]")
                    into.append((seen[1] - seen[0]) / 1000)
                    page.context.close()
            page = fresh_tab()
            page.goto(f"{url}/playground")
            wait_drawn(page)
            main = main_area(page)
            for _ in range(clicks + 1):
                main.get_by_role("button", name="Step").click()
                steps.append(_answer_ms(page))
            toggle = main.get_by_text("Discretize output")
            for _ in range(clicks + 1):
                toggle.click()
                changes.append(_answer_ms(page))
            page.context.close()
            for _ in range(repeats + 1):  # XOR as fast as it goes, from Play to 95% on screen (as TFP's fit)
                page = fresh_tab()
                page.goto(f"{url}/playground?speed=max&epochs=0")
                wait_drawn(page)
                main_area(page).get_by_role("button", name="Play").click()
                page.wait_for_function("() => window.__screen.goal !== null", polling=20, timeout=120_000)
                seen = page.evaluate("[window.__screen.click, window.__screen.goal + 1000 / 60]")
                xor.append((seen[1] - seen[0]) / 1000)
                page.context.close()
        finally:
            b.close()

    def median(values: list[float], skip: int) -> float:
        return round(statistics.median(values[skip:]), 3)

    return {
        "open_to_first_chart_s": median(opened, 1),
        "first_epoch_s": median(first_epoch, 1),
        "first_epoch_new_network_s": median(first_new, 1),
        "step_on_screen_ms": round(median(steps, 1), 1),
        "change_on_screen_ms": round(median(changes, 1), 1),
        "xor_seconds_to_95": median(xor, 1),
    }


def bench_rerun(post_script_gc: bool, clicks: int = 40) -> dict:
    """Step clicks on the Playground, with or without Streamlit's gc after each script run.

    Reports the median time from the click leaving the browser to the new
    epoch arriving over the websocket (the server's share), the median until
    the page shows it (with the browser's drawing), and the server's memory.
    """
    flag = ["--runner.postScriptGC", "true" if post_script_gc else "false"]
    with streamlit_process(extra=flag) as (url, pid), browser() as page:
        sent: list[float] = []
        arrived: dict[int, float] = {}

        def on_ws(ws):
            ws.on("framesent", lambda _: sent.append(time.monotonic()))

            def received(payload):
                data = payload if isinstance(payload, bytes) else payload.encode()
                for match in re.finditer(rb"Epoch (\d+)", data):
                    arrived.setdefault(int(match.group(1)), time.monotonic())

            ws.on("framereceived", received)

        page.on("websocket", on_ws)
        page.goto(url + "/playground", wait_until="domcontentloaded")
        main = main_area(page)
        step = main.get_by_role("button", name="Step")
        main.get_by_text("Epoch 0").first.wait_for(timeout=120_000)
        rss_start = rss_mb(pid)
        server, shown = [], []
        for i in range(1, clicks + 1):
            started = time.monotonic()
            step.click()
            main.get_by_text(f"Epoch {i} ", exact=False).first.wait_for(timeout=60_000)
            shown.append(time.monotonic() - started)
            click_sent = min((t for t in sent if t >= started), default=started)
            server.append(arrived.get(i, started) - click_sent)
        skip = 3  # the first steps compile the network
        return {
            "post_script_gc": post_script_gc,
            "step_server_ms": round(1000 * sorted(server[skip:])[len(server[skip:]) // 2], 1),
            "step_shown_ms": round(1000 * sorted(shown[skip:])[len(shown[skip:]) // 2], 1),
            "rss_start_mb": round(rss_start, 1),
            "rss_end_mb": round(rss_mb(pid), 1),
        }


def bench_digits_library(repeats: int = 100) -> dict:
    import numpy as np
    from PIL import Image, ImageDraw

    from dlviz.digits import engine as digits

    started = time.perf_counter()
    classifier = digits.load_classifier()
    load_s = time.perf_counter() - started
    canvas = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(canvas).line([(70, 50), (210, 50), (120, 245)], fill=255, width=18)
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = np.asarray(canvas)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        digits.predict(rgba, classifier)
        times.append(time.perf_counter() - started)
    return {"digits_load_s": round(load_s, 2), "digits_predict_ms": round(1000 * sorted(times)[repeats // 2], 2)}


# In the page: when the pen lifts (the pointerup event's own time stamp), when the answer's text is in the page,
# when the frame showing it has been painted, and when the probability bars have been drawn.
_PEN_TIMES_JS = """
window.__pen = {};
document.addEventListener("pointerup", (e) => { window.__pen = {up: e.timeStamp}; }, true);
new MutationObserver(() => {
  const pen = window.__pen;
  if (pen.up === undefined) return;
  const main = document.querySelector('[data-testid="stMain"]');
  if (pen.text === undefined && main && main.textContent.includes("The network reads a")) {
    pen.text = performance.now();
    requestAnimationFrame(() => setTimeout(() => { pen.painted = performance.now(); }));
  }
  if (pen.bars === undefined && main && main.querySelector(".barlayer .point")) pen.bars = performance.now();
}).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                      attributeFilter: ["data-drawn"]});  // the Playground's plane marks each redraw of its canvas
"""


def bench_digits_page(drawings: int = 12) -> dict:
    """From the pen lifting on the real canvas to the answer on the page, timed inside the page.

    Playwright's own waiting adds its polling and the devtools round trip (~100-250 ms here), so the times
    come from the page's clock: the pointerup event, and a MutationObserver that sees the answer arrive.
    """
    with streamlit_server() as url, browser(1400, 1000) as page:
        page.add_init_script(_PEN_TIMES_JS)
        page.goto(url + "/digits")
        main = main_area(page)
        main.get_by_text("Draw a digit in the black square.").wait_for(timeout=120_000)
        wait_idle(page)
        text, painted, bars = [], [], []
        for _ in range(drawings):
            surface = page.locator("canvas.upper-canvas").first
            surface.wait_for()
            box = surface.bounding_box(timeout=30_000)
            page.mouse.move(box["x"] + 140, box["y"] + 40)
            page.mouse.down()
            page.mouse.move(box["x"] + 140, box["y"] + 240, steps=10)
            page.mouse.up()
            page.wait_for_function("() => window.__pen.painted !== undefined && window.__pen.bars !== undefined",
                                   polling=50, timeout=60_000)  # fmt: skip
            pen = page.evaluate("window.__pen")
            text.append(pen["text"] - pen["up"])
            painted.append(pen["painted"] - pen["up"])
            bars.append(pen["bars"] - pen["up"])
            wait_idle(page)
            clear_canvas(page)

        def median(values: list[float]) -> float:
            return round(statistics.median(values[1:]), 1)  # the first one loads the page's charts

        return {"digits_pen_to_answer_ms": median(painted), "digits_pen_to_text_ms": median(text),
                "digits_pen_to_bars_ms": median(bars)}  # fmt: skip


def bench_descent_library(repeats: int = 20) -> dict:
    """The Gradient-descent page's computations: Keras optimizer paths and the neuron's training."""
    import numpy as np

    from dlviz.descent import engine as descent
    from dlviz.descent import line_fit

    def median_ms(fn) -> float:
        times = []
        for i in range(repeats):
            started = time.perf_counter()
            fn(i)
            times.append(time.perf_counter() - started)
        return round(1000 * float(np.median(times)), 2)

    course = descent.parabola()
    compiles = []
    for name in descent.OPTIMIZERS:
        started = time.perf_counter()
        descent.keras_path(course, 0.0, name, 0.1, 30)
        compiles.append(time.perf_counter() - started)
    bowl = descent.SURFACES["bowl"]
    results = {
        "descent_compile_s": round(max(compiles[1:]), 2),  # the first also imports TensorFlow's XLA
        "descent_keras_path_ms": median_ms(lambda i: descent.keras_path(course, 0.0, "adam", 0.01 + i / 1000, 200)),
        "descent_page_run_ms": median_ms(lambda i: descent.run(descent.DescentSettings(lr=0.05 + i / 100))),
        "descent_race_ms": median_ms(
            lambda i: [descent.keras_path_2d(bowl, bowl.start, o, 0.01 + i / 1000, 150) for o in descent.OPTIMIZERS]
        ),  # fmt: skip
    }
    started = time.perf_counter()
    run = line_fit.LineRun("houses", 2.0, 1.0, False, "mse", 0.01)
    run.train(1)
    results["neuron_first_epoch_s"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    run.train(1000)
    results["neuron_engine_epochs_per_s"] = round(1000 / (time.perf_counter() - started), 1)
    results["neuron_surface_ms"] = median_ms(
        lambda i: line_fit.loss_surface(run.data, "mse", *line_fit.surface_window(run.data, [(i, i)]))
    )
    return results


def bench_descent_page(seconds: float = 10.0, clicks: int = 10) -> dict:
    """In a real browser: an interaction's round trip, a tab switch, and the neuron training live."""
    with streamlit_server() as url, browser() as page:
        frames: list[tuple[float, bool]] = []
        sent: list[float] = []

        def on_ws(ws):
            ws.on("framesent", lambda _: sent.append(time.monotonic()))
            ws.on("framereceived", lambda payload: frames.append(
                (time.monotonic(), b"gd.chart.fit." in (payload if isinstance(payload, bytes) else payload.encode()))))  # fmt: skip

        page.on("websocket", on_ws)
        page.goto(url + "/gradient_descent")
        main = main_area(page)
        where = main.get_by_text(re.compile(r"^Step \d+: x =")).first
        where.wait_for(timeout=120_000)
        wait_idle(page)
        step_up = page.locator('[data-testid="stSidebar"] [data-testid="stNumberInputStepUp"]').first
        answers, server = [], []
        for _ in range(clicks):
            before = where.inner_text()
            started = time.monotonic()
            step_up.click()
            page.wait_for_function("([el, old]) => el.isConnected && el.innerText !== old",
                                   arg=[where.element_handle(), before], polling=10, timeout=60_000)  # fmt: skip
            wait_idle(page)
            answers.append(time.monotonic() - started)
            click_sent = min((t for t in sent if t >= started), default=started)
            server.append(max(t for t, _ in frames) - click_sent)  # until the run's last message arrived
        tabs = []
        for name in ("Two dimensions", "One dimension") * 3:
            started = time.monotonic()
            page.get_by_role("tab", name=name).click()
            page.get_by_role("tab", name=name, selected=True).wait_for(timeout=60_000)
            main.get_by_text("Show step").first.wait_for(timeout=60_000)
            wait_idle(page)
            tabs.append(time.monotonic() - started)
        results = {
            "descent_interaction_ms": round(1000 * sorted(answers)[len(answers) // 2], 1),
            "descent_interaction_server_ms": round(1000 * sorted(server)[len(server) // 2], 1),
            "descent_tab_switch_ms": round(1000 * sorted(tabs[2:])[len(tabs[2:]) // 2], 1),  # the first compile
        }
        for speed in ("100", "max"):
            page.goto(url + f"/gradient_descent?part=neuron&fit_epochs=5000&fit_speed={speed}")
            play = main.get_by_role("button", name="Play")
            play.wait_for(timeout=120_000)
            wait_idle(page)
            play.click()
            main.get_by_role("button", name="Pause").wait_for(timeout=60_000)
            page.wait_for_function("() => /Epoch [1-9]\\d{2,}/.test(document.querySelector('[data-testid=\"stMain\"]').innerText)",
                                   polling=20, timeout=120_000)  # fmt: skip
            start_epoch, start_t = read_epoch(page), time.monotonic()
            page.wait_for_timeout(min(seconds, 5) * 1000)  # the window; at full speed 5000 epochs last ~8 s
            end_epoch, end_t = read_epoch(page), time.monotonic()
            main.get_by_role("button", name="Pause").click()
            refreshes = sum(1 for t, fit in frames if fit and start_t <= t <= end_t)
            results[f"neuron_{speed}_epochs_per_s"] = round((end_epoch - start_epoch) / (end_t - start_t), 1)
            results[f"neuron_{speed}_refreshes_per_s"] = round(refreshes / (end_t - start_t), 2)
        return results


def bench_convolution_library(repeats: int = 20) -> dict:
    """Filtering a 512 x 512 photo as the page does: grey, convolve, ReLU, pool, colour the response."""
    import io

    import numpy as np
    from PIL import Image

    from dlviz.convolution import engine as cv
    from dlviz.convolution import figures as convolution_figures

    image = cv.grey(cv.load_photo("astronaut.png"))
    settings = cv.ConvolutionSettings(kernel="sobel_right", relu=True, pool="max", padding="same")
    times, encode = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        response, pooled = cv.filter_image(image, settings)
        pictures = [convolution_figures.diverging_rgb(response), convolution_figures.diverging_rgb(pooled)]
        times.append(time.perf_counter() - started)
        started = time.perf_counter()
        for picture in pictures:
            Image.fromarray(picture).save(io.BytesIO(), "JPEG", quality=90)  # as st.image(output_format="JPEG")
        encode.append(time.perf_counter() - started)
    return {"convolution_filter_ms": round(1000 * float(np.median(times[1:])), 1),
            "convolution_jpeg_ms": round(1000 * float(np.median(encode[1:])), 1)}  # fmt: skip


_CLICK_TIMES_JS = """
window.__click = {};
document.addEventListener("click", (e) => {
  const img = document.querySelectorAll('[data-testid="stMain"] img')[2];
  window.__click = {at: e.timeStamp, old: img ? img.getAttribute("src") : null};
}, true);
new MutationObserver(() => {
  const click = window.__click;
  if (click.at === undefined || click.src !== undefined) return;
  const img = document.querySelectorAll('[data-testid="stMain"] img')[2];
  if (!img || img.getAttribute("src") === click.old) return;
  click.src = performance.now();
  img.decode().catch(() => {}).then(() =>
    requestAnimationFrame(() => setTimeout(() => { click.painted = performance.now(); })));
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["src"]});
"""


def bench_convolution_page(clicks: int = 10) -> dict:
    """A click on the ReLU toggle with the 512 x 512 astronaut, in a real browser.

    The server's share from the websocket frames; the new picture decoded and painted from the page's own
    clock (the click event, then a MutationObserver on the result picture), as for Digits.
    """
    with streamlit_server() as url, browser() as page:
        sent, received = [], []

        def on_ws(ws):
            ws.on("framesent", lambda _: sent.append(time.monotonic()))
            ws.on("framereceived", lambda _: received.append(time.monotonic()))

        page.on("websocket", on_ws)
        page.add_init_script(_CLICK_TIMES_JS)
        page.goto(url + "/convolution?image=astronaut.png&pool=max")
        main = main_area(page)
        toggle = main.get_by_text("ReLU after the filter (detect)")
        toggle.wait_for(timeout=120_000)
        wait_drawn(page)
        painted, server = [], []
        for _ in range(clicks):
            started = time.monotonic()
            toggle.click()
            page.wait_for_function("() => window.__click.painted !== undefined", polling=50, timeout=60_000)
            wait_idle(page)
            click = page.evaluate("window.__click")
            painted.append(click["painted"] - click["at"])
            click_sent = min((t for t in sent if t >= started), default=started)
            server.append(max(received) - click_sent)
        return {"convolution_click_server_ms": round(1000 * statistics.median(server), 1),
                "convolution_click_painted_ms": round(statistics.median(painted), 1)}  # fmt: skip


def bench_convolution_server(clicks: int = 20) -> dict:
    """The same ReLU clicks from a session without a browser (``dlviz.tools.wsclient``): the server's own share."""
    import asyncio

    from dlviz.tools.wsclient import Session

    async def clicks_on(url: str) -> list[float]:
        session = Session(url)
        await session.connect()
        try:
            await session.open("convolution", "image=astronaut.png&pool=max", timeout=300)
            toggle = session.find("ReLU after the filter (detect)")
            on, times = False, []
            for _ in range(clicks + 1):
                on = not on
                times.append((await session.set(toggle, on)).latency)
            return times[1:]
        finally:
            await session.close()

    with streamlit_server() as url:
        times = sorted(asyncio.run(clicks_on(url)))
    return {"convolution_click_server_alone_ms": round(1000 * statistics.median(times), 1),
            "convolution_click_server_alone_p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1)}  # fmt: skip


def bench_overfitting_library(epochs: int = 500) -> dict:
    """Both networks of the default preset (early stopping off, so both train throughout)."""
    from dlviz.core import charts
    from dlviz.core.settings import replace
    from dlviz.overfitting import figures as overfitting_figures
    from dlviz.overfitting.engine import OverfitRace, OverfittingSettings

    race = OverfitRace(replace(OverfittingSettings(), early_stopping=False, epochs=epochs + 1))
    started = time.perf_counter()
    race.train(1)
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    race.train(epochs)
    per_run = epochs / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(20):
        outputs, split = race.outputs(), race.split
        for name, run in race.runs.items():
            charts.boundary_figure(race.axis, outputs[name], split.x_train, split.y_train, None, None)
            overfitting_figures.gap_curves_figure(run.history.loss, run.history.val_loss, best_epoch=run.best_epoch)
        overfitting_figures.dropout_figure(2, list(race.settings.layers), race.dropout_masks())
    draw_ms = (time.perf_counter() - started) / 20 * 1000
    return {"overfitting_epochs_per_s_each": round(per_run, 1), "overfitting_compile_s": round(compile_s, 2),
            "overfitting_draw_ms": round(draw_ms, 1)}  # fmt: skip


def bench_overfitting_page(seconds: float = 10.0) -> dict:
    """In a real browser: both runs training live, epochs per second each and chart refreshes per second."""
    with streamlit_server() as url, browser() as page:
        frames: list[float] = []

        def on_ws(ws):
            ws.on("framereceived", lambda payload: b"of.curves.regularized." in (
                payload if isinstance(payload, bytes) else payload.encode()) and frames.append(time.monotonic()))  # fmt: skip

        page.on("websocket", on_ws)
        page.goto(url + "/overfitting?epochs=3000&early_stopping=0&speed=max")
        main = main_area(page)
        play = main.get_by_role("button", name="Play")
        play.wait_for(timeout=120_000)
        wait_idle(page)
        clicked = time.monotonic()
        play.click()
        page.wait_for_function("() => /Epoch [1-9]\\d+ of/.test(document.querySelector('[data-testid=\"stMain\"]').innerText)",
                               polling=20, timeout=120_000)  # fmt: skip
        first_seconds = time.monotonic() - clicked
        start_epoch, start_t = read_epoch(page), time.monotonic()
        page.wait_for_timeout(seconds * 1000)  # the measurement window itself
        end_epoch, end_t = read_epoch(page), time.monotonic()
        main.get_by_role("button", name="Pause").click()
        refreshes = sum(1 for t in frames if start_t <= t <= end_t)
        return {
            "overfitting_page_epochs_per_s_each": round((end_epoch - start_epoch) / (end_t - start_t), 1),
            "overfitting_refreshes_per_s": round(refreshes / (end_t - start_t), 2),
            "overfitting_play_to_epoch_10_s": round(first_seconds, 2),
        }


def _datalab_csv(rows: int = 5000, columns: int = 20, seed: int = 0) -> bytes:
    """A table of ``rows`` x ``columns`` numbers and a binary target, as a CSV."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, columns)) * rng.uniform(0.1, 100, columns)
    frame = pd.DataFrame(x.round(4), columns=[f"f{i}" for i in range(columns)])
    frame["label"] = np.where(x[:, 0] / x[:, 0].std() + x[:, 1] / x[:, 1].std() > 0, "yes", "no")
    return frame.to_csv(index=False).encode()


def bench_datalab_library() -> dict:
    """The Data lab's library alone: a 5,000 x 20 CSV to its first epoch, epochs per second for two layers of 64
    on 1,000 rows, and K-fold (k = 4, 100 epochs) on 404 rows as Boston's."""
    import numpy as np
    import pandas as pd

    from dlviz.core.settings import replace
    from dlviz.datalab import engine, tables

    data = _datalab_csv()
    started = time.perf_counter()
    table = tables.read_csv(data, "bench.csv")
    s = replace(engine.DataLabSettings(), source="csv", early_stopping=False, epochs=2000)
    prepared = engine.prepare(table, s)
    read_s = time.perf_counter() - started
    run = engine.LabRun(s, prepared)
    run.train(1)
    first_s = time.perf_counter() - started

    rng = np.random.default_rng(1)
    x = rng.normal(size=(1000 * 10 // 6 + 1, 10))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(10)]).assign(y=(x[:, 0] > 0).astype(int))
    small = engine.prepare(tables.Table(frame, "y", "bench"), s)  # 60% of the rows train: 1,000
    run = engine.LabRun(s, small)
    run.train(2)  # the quick epoch (traced once) trains the first epochs; the static one is traced behind
    run.trainer.wait_behind()
    run.train(1)  # the static one's first run
    started = time.perf_counter()
    run.train(300)
    per_s = 300 / (time.perf_counter() - started)

    x = rng.normal(size=(505, 13))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(13)]).assign(price=x @ rng.normal(size=13) + 22)
    k_settings = replace(s, k=4, epochs=100, test_pct=20, val_pct=5)
    boston = engine.prepare(tables.Table(frame, "price", "bench"), k_settings)
    started = time.perf_counter()
    engine.kfold(k_settings, boston)
    kfold_s = time.perf_counter() - started
    return {"datalab_read_and_prepare_s": round(read_s, 2), "datalab_csv_to_first_epoch_s": round(first_s, 2),
            "epochs_per_s": round(per_s, 1), "train_rows": len(small.split.train),
            "kfold_rows": len(boston.split.train) + len(boston.split.val), "kfold_seconds": round(kfold_s, 2)}  # fmt: skip


def _cpu_seconds(pid: int) -> float:
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_cpu_idle(pid: int, window: float = 0.3, most: float = 0.03, timeout: float = 120) -> None:
    """Wait until the process used at most ``most`` CPU seconds in a ``window`` (its background warm-up done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(window)  # a measurement window, not a synchronisation
        if _cpu_seconds(pid) - before <= most:
            return


def bench_datalab_page(repeats: int = 7) -> dict:
    """In a real browser: upload a 5,000 x 20 CSV, press Step as soon as it is there, see epoch 1.

    The first upload on a fresh server (``..._cold_s``) pays the server's first-time costs; then ``repeats``
    participants, each in a fresh browser tab (its own session, nothing of the page's code cached), upload
    the same file to the warm, idle server: the median, fastest and slowest."""
    import tempfile

    def upload(page, url: str, path: Path) -> tuple[float, float]:
        page.goto(url + "/datalab?source=csv")
        main = main_area(page)
        main.get_by_text("Upload a CSV in the sidebar").wait_for(timeout=120_000)
        wait_idle(page)
        wait_cpu_idle(pid)
        started = time.monotonic()
        page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(str(path))
        main.get_by_text("Predicting").wait_for(timeout=120_000)
        step = main.get_by_role("button", name="Step")
        step.wait_for(timeout=120_000)
        ready = time.monotonic() - started
        step.click()
        page.wait_for_function("() => /Epoch 1 ·/.test(document.querySelector('[data-testid=\"stMain\"]').innerText)",
                               polling=20, timeout=120_000)  # fmt: skip
        return ready, time.monotonic() - started

    with streamlit_process() as (url, pid), browser() as first, tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        path.write_bytes(_datalab_csv())
        cold_ready, cold = upload(first, url, path)
        readies, firsts = [], []
        for _ in range(repeats):
            context = first.context.browser.new_context(viewport={"width": 1600, "height": 1000})
            try:
                ready, epoch = upload(context.new_page(), url, path)
            finally:
                context.close()
            readies.append(ready)
            firsts.append(epoch)
        return {"upload_to_ready_s": round(statistics.median(readies), 2),
                "upload_to_first_epoch_s": round(statistics.median(firsts), 2),
                "upload_to_first_epoch_range_s": [round(min(firsts), 2), round(max(firsts), 2)],
                "upload_to_first_epoch_cold_s": round(cold, 2), "upload_to_ready_cold_s": round(cold_ready, 2)}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dlviz.bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "target", choices=["playground", "rerun", "digits", "descent", "convolution", "overfitting", "datalab"]
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the in-page measurement window")
    parser.add_argument("--engine-only", action="store_true", help="skip the browser measurements")
    parser.add_argument("--screen", action="store_true",
                        help="playground: only what a participant waits for, timed in the page (open, Play, Step, "
                        "a change, XOR to 95%%)")  # fmt: skip
    parser.add_argument("--tfp", metavar="URL",
                        help="playground --screen: also measure TensorFlow Playground (a local build served on "
                        "loopback at URL) in the same run, and add its figures and the ratios (dlviz/tfp)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.tfp is not None and not (args.target == "playground" and args.screen):
        parser.error("--tfp goes with playground --screen")
    if args.target == "rerun":
        results = {}
        for gc in (True, False):
            r = bench_rerun(gc)
            print(f"postScriptGC={gc}: server {r['step_server_ms']} ms, on screen {r['step_shown_ms']} ms, "
                  f"memory {r['rss_start_mb']} -> {r['rss_end_mb']} MB")  # fmt: skip
            results.update({f"{k}_gc_{str(gc).lower()}": v for k, v in r.items() if k != "post_script_gc"})
        print(json.dumps(results))
        return
    if args.target == "digits":
        results = bench_digits_library()
        print(
            f"digits: model load {results['digits_load_s']} s, preprocess + predict {results['digits_predict_ms']} ms"
        )
        if not args.engine_only:
            results.update(bench_digits_page())
            print(
                f"pen lift to the answer painted on the page: {results['digits_pen_to_answer_ms']} ms "
                f"(text {results['digits_pen_to_text_ms']} ms, bars drawn {results['digits_pen_to_bars_ms']} ms)"
            )
        print(json.dumps(results))
        return
    if args.target == "overfitting":
        results = bench_overfitting_library()
        if not args.engine_only:
            results.update(bench_overfitting_page(args.seconds))
        print(", ".join(f"{k} {v}" for k, v in results.items()))
        print(json.dumps(results))
        return
    if args.target == "datalab":
        results = bench_datalab_library()
        if not args.engine_only:
            results.update(bench_datalab_page())
        print(", ".join(f"{k} {v}" for k, v in results.items()))
        print(json.dumps(results))
        return
    if args.target == "convolution":
        results = bench_convolution_library()
        results.update(bench_convolution_server())
        if not args.engine_only:
            results.update(bench_convolution_page())
        print(", ".join(f"{k} {v}" for k, v in results.items()))
        print(json.dumps(results))
        return
    if args.target == "descent":
        results = bench_descent_library()
        print(", ".join(f"{k} {v}" for k, v in results.items()))
        if not args.engine_only:
            page_results = bench_descent_page(args.seconds)
            print(", ".join(f"{k} {v}" for k, v in page_results.items()))
            results.update(page_results)
        print(json.dumps(results))
        return
    if args.screen:
        if args.tfp is not None:
            from dlviz.tools import tfp

            try:
                tfp_url = tfp.checked_url(args.tfp)  # before the minutes dlviz's figures take
            except ValueError as error:
                parser.error(str(error))
        results = bench_playground_screen()
        print(", ".join(f"{k} {v}" for k, v in results.items()))
        if args.tfp is not None:
            results = tfp.measure(tfp_url, results)
        print(json.dumps(results))
        return
    results = bench_engine()
    print(f"engine: {results['engine_epochs_per_s']} epochs/s (compile {results['engine_compile_s']} s), "
          f"snapshot {results['snapshot_ms']} ms")  # fmt: skip
    if not args.engine_only:
        page = bench_page(args.seconds)
        print(f"page: {page['page_epochs_per_s']} epochs/s, {page['refreshes_per_s']} refreshes/s, "
              f"largest update {page['update_kb']} KB, XOR to 95% in {page['xor_seconds_to_95']} s")  # fmt: skip
        results.update(page)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
