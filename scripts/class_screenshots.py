"""Take the README's class-mode screenshots: python scripts/class_screenshots.py (needs the test extra and chromium).

A room on a fresh server of its own (its data in a temporary folder): an instructor's projector (1920x1080)
and a participant's phone (390x844). Twenty classmates are seated through the class store itself, each
sending a drawing from MNIST's test digits (read by the shipped CNN) and a few Playground networks trained
here, so the wall looks like a room's after ten minutes; the phone joins through its browser.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
NAMES = ["ada", "bo", "chen", "dara", "eli", "fatima", "gus", "hana", "ivo", "jun", "kofi", "lena", "mo", "nia",
         "عمر", "pia", "quinn", "rui", "sam 🦊", "tove"]  # fmt: skip
NETWORKS = [("circle", (4,)), ("xor", (4, 2)), ("spiral", (8, 8, 6)), ("gauss", ())]


def seat_the_room(db_path: Path, code: str, token: str) -> None:
    import numpy as np

    from dlviz.classroom import share
    from dlviz.classroom.store import Store, make_engine
    from dlviz.core.settings import to_query
    from dlviz.digits import engine as digits
    from dlviz.playground.engine import PlaygroundRun, PlaygroundSettings

    shop = Store(make_engine(f"sqlite:///{db_path}"))
    sample = digits.load_subset()
    reads = digits.load_classifier().probabilities(sample["x_test"][:400] / 255.0).argmax(axis=1)
    wrong = [int(i) for i in np.flatnonzero(reads != sample["y_test"][:400])[:3]]
    picks = wrong + [i for i in range(40) if i not in wrong][: 2 * len(NAMES) - len(wrong)]
    members = [shop.join(code, name)[0] for name in NAMES]
    for n, i in enumerate(picks):
        shop.send_digit(members[n % len(members)], sample["x_test"][i], int(sample["y_test"][i]), int(reads[i]))
    for member, (data, layers) in zip(members, NETWORKS, strict=False):
        s = PlaygroundSettings(data=data, layers=layers, activations=("tanh",) * len(layers))
        run = PlaygroundRun(s)
        run.train(150)
        thumb = share.boundary_thumbnail(run.snapshot().output, s.regression)
        shop.send_network(member, thumb, share.network_info(s, run.history, run.model.count_params(), to_query(s)))
    rng = np.random.default_rng(3)
    for n, member in enumerate(members):  # where each is: most on the Playground, a few still on Digits
        if n % 6 == 5:
            shop.heartbeat(member, "Digits")
            continue
        metric = None if n == 7 else float(np.clip(rng.normal(0.86, 0.09), 0.45, 1.0))
        shop.heartbeat(member, "Playground", {"epoch": int(rng.integers(40, 400)), "metric": metric,
                                              "metric_name": "val_accuracy", "diverged": n == 7})  # fmt: skip
    poll = shop.open_poll(code, token, "Will learning rate 3 converge here?", ["Yes", "No", "Only sometimes"])
    for n, member in enumerate(members[:17]):
        shop.vote(member, poll, [1, 1, 2, 0, 1][n % 5])


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="dlviz-shots-"))
    os.environ["DLVIZ_DATA_DIR"] = str(folder)
    os.environ.pop("DLVIZ_DATABASE_URL", None)
    os.environ.pop("DLVIZ_INSTRUCTOR_PASSWORD", None)
    from PIL import Image

    from dlviz.tools.serve import browser_pages, join_room, main_area, streamlit_server, wait_drawn

    OUT.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url, browser_pages((1920, 1080), (390, 844)) as (projector, phone):
        projector.goto(url + "/class?projector=1")
        main = main_area(projector)
        main.get_by_text("Start a room (instructors)").click()
        main.get_by_role("textbox", name="Workshop name").fill("Friday workshop")
        main.get_by_role("button", name="Start a room").click()
        main.get_by_text("Your private instructor link").wait_for(timeout=60_000)
        link = main.locator('[data-testid="stCode"] code').first.inner_text().strip()
        code = projector.evaluate("new URL(location.href).searchParams.get('room')")
        token = link.split("key=")[1].split("&")[0]
        main.get_by_role("button", name="I have saved it").click()
        wait_drawn(projector)
        shot(projector, "class-join-projector.png")

        seat_the_room(folder / "class.sqlite", code, token)
        join_room(phone, url, code, "maya")
        projector.get_by_test_id("stSidebarNav").get_by_role("link", name="Playground").click()
        main.get_by_text("Epoch 0").first.wait_for(timeout=120_000)
        projector.get_by_test_id("stSidebar").get_by_role("button", name="Send this page to the room").click()
        main_area(phone).get_by_text("The instructor opened Playground").wait_for(timeout=30_000)
        wait_drawn(phone)
        shot(phone, "class-phone.png")

        projector.get_by_test_id("stSidebarNav").get_by_role("link", name="Class").click()
        main.get_by_role("tab", name="Wall").click()
        main.get_by_text("Networks: 4").wait_for(timeout=60_000)
        wait_drawn(projector)
        projector.mouse.wheel(0, 330)
        wait_drawn(projector)
        shot(projector, "class-wall-projector.png")
        main.get_by_role("tab", name="Dashboard").click()
        main.get_by_text("Stuck or diverged").wait_for(timeout=60_000)
        wait_drawn(projector)
        projector.mouse.wheel(0, 330)
        shot(projector, "class-dashboard-projector.png")
        main.get_by_role("tab", name="Challenge").click()
        main.get_by_text("Preset").first.wait_for(timeout=60_000)
        main.get_by_test_id("stSelectbox").first.click()
        projector.get_by_role("option", name="Your own").click()
        main.get_by_text("Ties go to", exact=True).wait_for(timeout=60_000)
        main.get_by_test_id("stSelectbox").nth(1).click()  # the page (the preset is the first)
        projector.get_by_role("option", name="Overfitting & dropout").click()
        main.get_by_text("Overfitting & dropout)").first.wait_for(timeout=60_000)
        wait_drawn(projector)
        projector.mouse.wheel(0, 330)
        wait_drawn(projector)
        shot(projector, "class-challenge-projector.png")

    wall, mobile = Image.open(OUT / "class-wall-projector.png"), Image.open(OUT / "class-phone.png")
    height = mobile.height
    wall = wall.resize((round(wall.width * height / wall.height), height), Image.LANCZOS)
    both = Image.new("RGB", (wall.width + 40 + mobile.width, height), "white")
    both.paste(wall, (0, 0))
    both.paste(mobile, (wall.width + 40, 0))
    both.save(OUT / "class-side-by-side.png", optimize=True)
    print("saved", OUT / "class-side-by-side.png")


def shot(page, name: str) -> None:
    page.screenshot(path=str(OUT / name))
    print("saved", OUT / name)


if __name__ == "__main__":
    main()
