"""Take the README's screenshots: python scripts/screenshots.py (needs the test extra and chromium)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlviz.bench import browser, main_area, streamlit_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"

# (file name, path, window size, epochs to train before the picture)
SHOTS = [
    ("home.png", "/", (1400, 900), 0),
    ("playground.png", "/playground?data=circle&layers=4,3&activations=tanh,tanh&epochs=300", (1600, 1000), 300),
    ("playground-projector.png", "/playground?projector=1&data=spiral&noise=10&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2"
     "&layers=8,8,6&activations=tanh,tanh,tanh&optimizer=adam&lr=0.01&epochs=400", (1920, 1080), 400),
    ("playground-phone.png", "/playground?epochs=200", (390, 844), 200),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url:
        for name, path, (width, height), epochs in SHOTS:
            with browser(width, height) as page:
                page.goto(url + path)
                main = main_area(page)
                main.wait_for(timeout=120_000)
                if epochs:
                    main.get_by_role("button", name="Play").click()
                    main.get_by_text(re.compile(rf"Epoch {epochs}\b")).first.wait_for(timeout=120_000)
                    main.get_by_role("button", name="Play").wait_for(timeout=60_000)
                page.locator('[data-testid="stMain"] .js-plotly-plot').last.wait_for(timeout=60_000) if epochs else None
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / name))
                print("saved", OUT / name)


if __name__ == "__main__":
    main()
