"""Take the README's screenshots: python scripts/screenshots.py [name prefix ...] (needs the test extra and chromium)."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlviz.tools.serve import browser, draw, main_area, streamlit_server, wait_drawn  # noqa: E402

OUT = ROOT / "docs" / "screenshots"

SEVEN = [(70, 50), (210, 50), (120, 245)]  # in a 280 px square; scaled to the canvas shown

# (file name, path, window size, epochs to train before the picture, strokes to draw)
SHOTS = [
    ("home.png", "/", (1400, 900), 0, None),
    ("playground.png", "/playground?data=circle&layers=4,3&activations=tanh,tanh&epochs=300", (1600, 1000), 300, None),
    (
        "playground-projector.png",
        "/playground?projector=1&data=spiral&noise=10&features=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2"
        "&layers=8,8,6&activations=tanh,tanh,tanh&optimizer=adam&lr=0.01&epochs=400",
        (1920, 1080),
        400,
        None,
    ),
    ("playground-phone.png", "/playground?epochs=200", (390, 844), 200, None),
    (
        "playground-multiclass-projector.png",
        "/playground?projector=1&data=spirals&classes=3&layers=8,8&activations=tanh,tanh&optimizer=adam&lr=0.01"
        "&epochs=300",
        (1920, 1080),
        300,
        None,
    ),
    (
        "playground-own-points-projector.png",
        "/playground?projector=1&data=own&layers=4&activations=tanh&optimizer=adam&lr=0.03&epochs=200&added="
        "45,0,0,36,26,0,14,43,0,-14,43,0,-36,26,0,-45,0,0,-36,-26,0,-14,-43,0,14,-43,0,36,-26,0,15,0,1,8,13,1,"
        "-7,13,1,-15,0,1,-8,-13,1,7,-13,1",
        (1920, 1080),
        200,
        None,
    ),
    (
        "playground-multiclass-phone.png",
        "/playground?data=pinwheel&classes=4&optimizer=adam&epochs=150",
        (390, 844),
        150,
        None,
    ),  # fmt: skip
    ("gradient-descent.png", "/gradient_descent?lr=0.4", (1600, 1000), 0, None),
    ("gradient-descent-projector.png", "/gradient_descent?projector=1&lr=0.4", (1920, 1080), 0, None),
    ("gradient-descent-phone.png", "/gradient_descent?lr=0.4", (390, 844), 0, None),
    ("building-blocks.png", "/building_blocks?part=activations", (1600, 1000), 0, None),
    ("building-blocks-projector.png", "/building_blocks?projector=1&part=gates", (1920, 1080), 0, None),
    ("building-blocks-phone.png", "/building_blocks", (390, 844), 0, None),
    (
        "gradient-descent-neuron.png",
        "/gradient_descent?part=neuron&fit_scale=1&fit_lr=0.3&fit_epochs=300",
        (1600, 1000),
        300,
        None,
    ),
    ("overfitting.png", "/overfitting", (1600, 1000), 400, None),
    ("overfitting-projector.png", "/overfitting?projector=1&epochs=300", (1920, 1080), 300, None),
    ("overfitting-phone.png", "/overfitting?epochs=150", (390, 844), 150, None),
    ("convolution.png", "/convolution?relu=1&pool=max", (1600, 1000), 0, None),
    (
        "convolution-projector.png",
        "/convolution?projector=1&image=astronaut.png&relu=1&pool=max",
        (1920, 1080),
        0,
        None,
    ),
    ("convolution-phone.png", "/convolution?relu=1", (390, 844), 0, None),
    ("convolution-walk.png", "/convolution?part=walk", (1600, 1000), 0, None),
    ("convolution-learned.png", "/convolution?part=learned&image=coffee.png", (1600, 1000), 0, None),
    ("digits.png", "/digits", (1600, 1100), 0, [SEVEN]),
    ("digits-projector.png", "/digits?projector=1", (1920, 1080), 0, [SEVEN]),
    ("digits-phone.png", "/digits", (390, 844), 0, [[(140, 40), (140, 240)]]),
    ("digits-variants.png", "/digits?part=mnist&sample_set=variants", (1600, 1100), 0, None),
    ("digits-variants-projector.png", "/digits?projector=1&part=mnist&sample_set=variants", (1920, 1080), 0, None),
    ("digits-variants-phone.png", "/digits?part=mnist&sample_set=variants", (390, 844), 0, None),
    ("datalab.png", "/datalab?epochs=150&early_stopping=0&part=results", (1600, 1100), 150, None),
    ("datalab-projector.png", "/datalab?projector=1&epochs=100&early_stopping=0", (1920, 1080), 100, None),
    ("datalab-scales.png", "/datalab?epochs=60&early_stopping=0", (1600, 1000), 60, None),
    ("datalab-phone.png", "/datalab?source=diabetes&epochs=60&early_stopping=0&part=results", (390, 844), 60, None),
    ("datalab-upload.png", "/datalab?source=csv", (1600, 1000), 0, None),  # set the network while choosing a file
]
# Shots of a phone that scroll down to a chart first (its index among the page's Plotly charts).
SCROLL_TO = {
    "playground-multiclass-phone.png": ".dlviz-plane",
    "playground-own-points-projector.png": ".dlviz-plane",
    "datalab-scales.png": ".dlviz-bars",
}


def main(only: list[str]) -> None:
    """Take every shot, or those whose file names start with one of ``only``."""
    OUT.mkdir(parents=True, exist_ok=True)
    shots = [shot for shot in SHOTS if not only or shot[0].startswith(tuple(only))]
    with streamlit_server() as url:
        for name, path, (width, height), epochs, strokes in shots:
            with browser(width, height) as page:
                page.goto(url + path)
                main = main_area(page)
                main.wait_for(timeout=120_000)
                if epochs:
                    main.get_by_role("button", name="Play").click()
                    main.get_by_text(re.compile(rf"Epoch {epochs}\b")).first.wait_for(timeout=120_000)
                    main.get_by_role("button", name="Play").wait_for(timeout=60_000)
                if strokes:
                    draw(page, strokes)
                    main.get_by_text("The network reads a").wait_for(timeout=60_000)
                    page.mouse.wheel(0, -2000)
                page.wait_for_load_state("networkidle")
                wait_drawn(page)
                if name in SCROLL_TO:
                    page.locator(SCROLL_TO[name]).first.scroll_into_view_if_needed()  # a CSS selector
                    wait_drawn(page)
                page.screenshot(path=str(OUT / name))
                print("saved", OUT / name)


if __name__ == "__main__":
    main(sys.argv[1:])
