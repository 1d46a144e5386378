"""TensorFlow Playground measured as ``python -m dlviz.bench playground --screen`` measures dlviz.

``--tfp URL`` points at a local build of TensorFlow Playground (tensorflow/playground, built from its source
outside this repository and served on loopback; none of it is committed here). The same figures, timed the same
way in the page on its own clock (event time stamps, a MutationObserver, and TensorFlow Playground's canvas
drawing), in a Chromium launched with the same binary, flags and viewport as dlviz's measurement:

- ``open_to_first_chart_s``: a new tab, from the start of its navigation to the first drawing of the big heatmap
  (its canvas's first ``putImageData``);
- ``first_epoch_s``: its default network (4-2 tanh, SGD 0.03, batch 10) on XOR, from the click on Play to the
  frame after the epoch counter first reads above 0;
- ``first_epoch_new_network_s``: the same from a new tab opened to the network dlviz calls new (5-3, 6-3, 7-3,
  8-3 relu, one per repetition); in the browser there is nothing to compile, so this is a check that nothing
  else waits;
- ``step_on_screen_ms``: the step button, paused, from the click to the frame after the page's last change
  (the epoch counter, the loss, the heatmaps, the weights all change in the click's own task);
- ``change_on_screen_ms``: the "Discretize output" checkbox, likewise;
- ``xor_seconds_to_95``: TensorFlow Playground shows no accuracy, so: in the tab of ``first_epoch_s``, from Play
  to the frame after the shown test loss first reads below 0.05.

Three repetitions (after one that is not counted), medians, as for dlviz.
"""

from __future__ import annotations

import ipaddress
import statistics
import urllib.error
import urllib.parse
import urllib.request

FIGURES = (
    "open_to_first_chart_s",
    "first_epoch_s",
    "first_epoch_new_network_s",
    "step_on_screen_ms",
    "change_on_screen_ms",
    "xor_seconds_to_95",
)

GOOD_FIT_TEST_LOSS = 0.05  # TensorFlow Playground's shown test loss that counts as XOR fitted
FRAME_MS = 1000 / 60  # what is decided in a task is on screen at the frame after it, as dlviz's figures count it

# Seeds (TensorFlow Playground's ``seed`` in the URL: the data and the starting weights), one per tab, so a run
# can be repeated exactly; the first tab's figures are not counted.
SEEDS = ("0.00000", "0.00001", "0.00002", "0.00003", "0.00004", "0.00005")


# In the page, on its own clock, as dlviz.tools.bench's _SCREEN_TIMES_JS: the click (the event's time stamp; a
# label's click forwarded to its checkbox keeps the first one), every change to the page after it (DOM changes,
# and TensorFlow Playground's canvas drawing, which the DOM does not see), the first drawing of the big heatmap
# from the start of the navigation, the epoch counter first above 0, and the shown test loss first below the goal.
_TFP_TIMES_JS = r"""
(() => {
  const s = window.__tfp = {click: null, last: null, epoch: null, goal: null, goalEpoch: null, firstChart: null};
  const iterOf = () => {
    const el = document.getElementById("iter-number");
    return el ? parseInt(el.textContent.replace(/,/g, ""), 10) : NaN;
  };
  document.addEventListener("click", (e) => {
    if (s.click !== null && e.timeStamp - s.click < 5) return;
    Object.assign(s, {click: e.timeStamp, last: null, epoch: null, goal: null, goalEpoch: null});
  }, true);
  const changed = () => {
    const now = performance.now();
    if (s.click === null || now <= s.click) return;
    s.last = now;
    if (s.epoch === null && iterOf() > 0) s.epoch = now;
    const loss = document.getElementById("loss-test");
    if (s.goal === null && loss && loss.textContent && parseFloat(loss.textContent) < __GOAL__) {
      s.goal = now;
      s.goalEpoch = iterOf();
    }
  };
  const put = CanvasRenderingContext2D.prototype.putImageData;
  CanvasRenderingContext2D.prototype.putImageData = function (...args) {
    const result = put.apply(this, args);
    if (s.firstChart === null && this.canvas.closest && this.canvas.closest("#heatmap")) s.firstChart = performance.now();
    changed();
    return result;
  };
  new MutationObserver(changed).observe(document, {subtree: true, childList: true, characterData: true});
})();
""".replace("__GOAL__", repr(GOOD_FIT_TEST_LOSS))


def check_url(url: str) -> str:
    """The base URL of a TensorFlow Playground served on loopback (http or https, no fragment); ValueError if not."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--tfp wants an http URL such as http://127.0.0.1:8000/, not {url!r}")
    host = parts.hostname
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(
            f"--tfp wants TensorFlow Playground served on loopback (127.0.0.1, ::1, localhost), not {host}"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def check_served(url: str, timeout: float = 5.0) -> None:
    """ValueError unless the URL answers with TensorFlow Playground's page (its Play button and epoch counter)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            html = response.read().decode("utf-8", "replace")
    except (OSError, urllib.error.URLError) as error:
        raise ValueError(f"nothing answers at {url}: {error}") from None
    if 'id="play-pause-button"' not in html or 'id="iter-number"' not in html:
        raise ValueError(f"{url} does not serve TensorFlow Playground's index.html (no #play-pause-button)")


def checked_url(url: str) -> str:
    """``check_url`` then ``check_served``: the base URL to measure, or ValueError before anything long starts."""
    url = check_url(url)
    check_served(url)
    return url


def page_url(base: str, seed: str, shape: tuple[int, ...] = (4, 2), activation: str = "tanh") -> str:
    """TensorFlow Playground's state is in the URL's fragment; the rest stays at its defaults (learning rate 0.03,
    batch 10, x1 and x2 as inputs, noise 0, half the points for training)."""
    state = {"dataset": "xor", "networkShape": ",".join(map(str, shape)), "activation": activation, "seed": seed}
    return base.split("#")[0] + "#" + "&".join(f"{k}={v}" for k, v in state.items())


def ratios(dlviz: dict, tfp: dict) -> dict:
    """dlviz's figure over TensorFlow Playground's, for each figure both have (None where TFP's is 0 or missing)."""
    out = {}
    for name in FIGURES:
        a, b = dlviz.get(name), tfp.get(name)
        if a is None or name not in tfp:
            continue
        out[name] = round(a / b, 2) if b else None
    return out


def with_tfp(dlviz: dict, tfp: dict) -> dict:
    """dlviz's figures with TensorFlow Playground's beside them, and the ratios."""
    return {**dlviz, "tfp": tfp, "ratios": ratios(dlviz, tfp)}


def median(values: list[float | None], skip: int = 1, digits: int = 3) -> float | None:
    """The median after the first ``skip`` (warming up); None if any counted value is missing."""
    counted = values[skip:]
    if not counted or any(v is None for v in counted):
        return None
    return round(statistics.median(counted), digits)


def _answer_ms(page, quiet_ms: int = 400, timeout_ms: int = 60_000) -> float:
    """After a click: wait until the page has not changed for ``quiet_ms``, then the time from the click to the
    frame painted after its last change."""
    page.wait_for_function(
        f"() => {{ const s = window.__tfp; return s.last !== null && performance.now() - s.last > {quiet_ms}; }}",
        polling=50,
        timeout=timeout_ms,
    )
    s = page.evaluate("window.__tfp")
    return s["last"] - s["click"] + FRAME_MS


def _new_page(b, url: str):
    page = b.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    page.add_init_script(_TFP_TIMES_JS)
    page.goto(url)
    page.wait_for_function(
        "() => window.__tfp.firstChart !== null && document.readyState === 'complete'", polling=20, timeout=60_000
    )
    return page


def bench_tfp_screen(
    url: str, repeats: int = 3, clicks: int = 10, goal_timeout_s: float = 60.0, runs: dict | None = None
) -> dict:
    """TensorFlow Playground's figures, named and counted as ``bench_playground_screen``'s; ``runs``, if given,
    receives every counted value of each (the first, warming up, left out)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from dlviz.tools.serve import CHROMIUM, CHROMIUM_ARGS

    opened, first_epoch, first_new, xor, xor_epochs, steps, changes = [], [], [], [], [], [], []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(repeats + 1):  # the first visit is not counted, as for dlviz
                for shape, activation, into in (((4, 2), "tanh", first_epoch), ((5 + i, 3), "relu", first_new)):
                    page = _new_page(b, page_url(url, SEEDS[i % len(SEEDS)], shape, activation))
                    if into is first_epoch:
                        opened.append(page.evaluate("window.__tfp.firstChart") / 1000)
                    page.locator("#play-pause-button").click()
                    page.wait_for_function("() => window.__tfp.epoch !== null", polling=20, timeout=60_000)
                    s = page.evaluate("window.__tfp")
                    into.append((s["epoch"] - s["click"] + FRAME_MS) / 1000)
                    if into is first_epoch:
                        try:
                            page.wait_for_function(
                                "() => window.__tfp.goal !== null", polling=50, timeout=goal_timeout_s * 1000
                            )
                            s = page.evaluate("window.__tfp")
                            xor.append((s["goal"] - s["click"] + FRAME_MS) / 1000)
                            xor_epochs.append(s["goalEpoch"])
                        except PlaywrightTimeout:
                            xor.append(None)
                            xor_epochs.append(None)
                    page.context.close()
            page = _new_page(b, page_url(url, SEEDS[0]))
            step = page.locator("#next-step-button")
            for n in range(1, clicks + 2):
                step.click()
                steps.append(_answer_ms(page))
                shown = page.locator("#iter-number").inner_text().replace(",", "")
                if int(shown) != n:
                    raise RuntimeError(f"TensorFlow Playground shows epoch {shown} after {n} steps")
            toggle = page.locator("label[for='discretize']")
            for _ in range(clicks + 1):
                before = page.locator("#discretize").is_checked()
                toggle.click()
                changes.append(_answer_ms(page))
                if page.locator("#discretize").is_checked() == before:
                    raise RuntimeError("the click on 'Discretize output' did not toggle it")
            page.context.close()
        finally:
            b.close()
    if runs is not None:
        raw = (opened, first_epoch, first_new, steps, changes, xor, xor_epochs)
        runs.update({name: values[1:] for name, values in zip((*FIGURES, "xor_epochs_to_fit"), raw, strict=True)})
    step_ms, change_ms = median(steps), median(changes)
    return {
        "open_to_first_chart_s": median(opened),
        "first_epoch_s": median(first_epoch),
        "first_epoch_new_network_s": median(first_new),
        "step_on_screen_ms": None if step_ms is None else round(step_ms, 1),
        "change_on_screen_ms": None if change_ms is None else round(change_ms, 1),
        "xor_seconds_to_95": median(xor, digits=2),
        "xor_epochs_to_fit": median(xor_epochs, digits=0),
    }


def describe(tfp: dict, runs: dict) -> str:
    """One readable line: each figure's median and the counted values' range."""

    def span(values: list) -> str:
        shown = [v for v in values if v is not None]
        if not shown:
            return "not reached"
        return f"{min(shown):.3g}-{max(shown):.3g}" + (" (some not reached)" if len(shown) < len(values) else "")

    return "tensorflow playground: " + ", ".join(
        f"{name} {tfp.get(name)} [{span(runs.get(name, []))}]" for name in (*FIGURES, "xor_epochs_to_fit")
    )


def measure(url: str, dlviz: dict) -> dict:
    """For ``python -m dlviz.bench playground --screen --tfp URL``: measure TensorFlow Playground at ``url`` (checked
    with ``checked_url``), print a readable line, and return dlviz's figures with its own and the ratios."""
    runs: dict = {}
    results = with_tfp(dlviz, bench_tfp_screen(url, runs=runs))
    print(describe(results["tfp"], runs))
    print("dlviz / tensorflow playground: " + ", ".join(f"{k} {v}" for k, v in results["ratios"].items()))
    return results
