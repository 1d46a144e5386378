"""Class mode in real browsers: an instructor and three participants, each in a browser context of their own."""

import re

import pytest

from dlviz.tools.serve import browser_pages, draw, join_room, main_area, start_room, streamlit_server, wait_idle

SEVEN = [[(70, 50), (210, 50), (120, 245)]]


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def people():
    with browser_pages((1600, 1000), (390, 844), (390, 844), (1200, 900)) as pages:
        yield pages


@pytest.fixture(scope="module")
def room(server, people):
    instructor, *participants = people
    code, link = start_room(instructor, server, "Browser workshop")
    for page, nickname in zip(participants, ["alice", "bob", "carol"], strict=True):
        join_room(page, server, code, nickname)
    return code, link


def test_the_room_code_is_in_the_address_and_the_instructors_key_is_not(server, people, room):
    instructor, alice, *_ = people
    room, link = room
    assert link.startswith("http") and f"room={room}" in link and "key=" in link
    assert re.fullmatch(r"[A-Z2-9]{6}", room)
    assert "key=" not in instructor.url and f"room={room}" in instructor.url
    assert f"room={room}" in alice.url and "me=" in alice.url


def test_a_push_reaches_every_participant_and_opens_the_instructors_view(server, people, room):
    from playwright.sync_api import expect

    instructor, *participants = people
    # Within the instructor's session: the sidebar's navigation (a typed address would be a new session).
    instructor.get_by_test_id("stSidebarNav").get_by_role("link", name="Playground").click()
    expect(main_area(instructor).get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    instructor.get_by_test_id("stSidebar").get_by_role("button", name="Send this page to the room").click()
    expect(instructor.get_by_test_id("stSidebar")).to_contain_text("Sent to the room", timeout=30_000)
    for page in participants:
        expect(main_area(page)).to_contain_text(
            "The instructor opened Playground: XOR, 2 hidden layers", timeout=30_000
        )
    alice = participants[0]
    main_area(alice).get_by_role("button", name="Open").click()
    expect(main_area(alice).get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    assert "/playground" in alice.url and "me=" in alice.url
    expect(main_area(alice).get_by_role("button", name="Back to my own work")).to_be_visible()


def test_training_plays_on_while_the_page_looks_at_the_room(server, people, room):
    """The room is looked at every second from a fragment of its own, and Play trains in the board's
    fragment, which ends its run for a click on the board waiting: not for those looks."""
    from playwright.sync_api import TimeoutError as Timeout
    from playwright.sync_api import expect

    instructor = people[0]  # on the Playground since the push
    main, side = main_area(instructor), instructor.get_by_test_id("stSidebar")

    def settle(change, url: str) -> None:
        """Make a sidebar change until the link shows it: a key typed while the page is redrawn can be lost."""
        for attempt in range(3):
            wait_idle(instructor)
            change()
            try:
                instructor.wait_for_url(re.compile(url), timeout=10_000)
                return
            except Timeout:
                if attempt == 2:
                    raise

    def speed() -> None:
        side.get_by_role("slider", name="Speed").focus()
        instructor.keyboard.press("Home")  # 10 epochs a second

    settle(speed, r"speed=10\b")  # the budget stays 1,000 epochs: 100 s at this speed
    wait_idle(instructor)
    main.get_by_role("button", name="Play").click()
    # 25 epochs take 2.5 s at this speed: the room was looked at twice meanwhile
    expect(main).to_contain_text(re.compile(r"Epoch (2[5-9]|[3-9]\d|\d{3,}) ·"), timeout=60_000)
    main.get_by_role("button", name="Pause").click()
    expect(main.get_by_role("button", name="Play")).to_be_visible(timeout=30_000)
    expect(main.locator('[data-testid="stException"]')).to_have_count(0)


def test_a_drawing_sent_from_digits_reaches_the_instructors_wall(server, people, room):
    from playwright.sync_api import expect

    instructor, _, bob, _ = people
    bob.goto(bob.url.replace("/class", "/digits"))  # the address keeps his seat
    expect(main_area(bob).get_by_text("Draw a digit in the black square.")).to_be_visible(timeout=120_000)
    draw(bob, SEVEN)
    expect(main_area(bob).get_by_text("The network reads a")).to_be_visible(timeout=60_000)
    main_area(bob).get_by_role("button", name="Send to the wall").click()
    expect(main_area(bob)).to_contain_text("Sent to the wall", timeout=30_000)

    code, link = room
    instructor.goto(link)  # the private link: a new session that is the room's instructor again
    main = main_area(instructor)
    expect(main.get_by_text(code).first).to_be_visible(timeout=60_000)
    assert "key=" not in instructor.url
    main.get_by_role("tab", name="Wall").click()
    expect(main).to_contain_text("Drawings: 1, the network read", timeout=30_000)
    expect(main).to_contain_text("Read as 7", timeout=30_000)
    tile = main.get_by_role("tabpanel", name="Wall").locator("figure").first
    expect(tile.locator("img")).to_be_visible()  # the drawing, with who sent it and what they meant below
    assert tile.locator("img").evaluate("i => i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/png')")
    expect(tile.locator("figcaption")).to_have_text("bob · 7")

    # The wall stays open on the projector: the next drawing appears on it by itself.
    draw(bob, [[(80, 60), (200, 60)], [(140, 60), (140, 250)]])  # a T: whatever it reads, it is sent
    expect(main_area(bob).get_by_role("button", name="Send to the wall")).to_be_enabled(timeout=60_000)
    main_area(bob).get_by_role("button", name="Send to the wall").click()
    expect(main).to_contain_text("Drawings: 2, the network read", timeout=10_000)


def test_a_participant_cannot_use_instructor_controls(server, people, room):
    from playwright.sync_api import expect

    carol = people[3]
    code, _ = room
    carol.goto(f"{server}/playground?room={code}&me=" + carol.url.split("me=")[1].split("&")[0])
    expect(main_area(carol).get_by_text("Epoch 0").first).to_be_visible(timeout=120_000)
    sidebar = carol.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("you are carol")
    expect(sidebar.get_by_role("button", name="Send this page to the room")).to_have_count(0)
    carol.goto(f"{server}/class?room={code}&key=forged-key-that-is-long-enough")
    wait_idle(carol)
    expect(main_area(carol).get_by_role("tab", name="Dashboard")).to_have_count(0)
    expect(main_area(carol).locator('[data-testid="stException"]')).to_have_count(0)


def test_a_reload_keeps_the_instructor_and_ending_the_room_forgets_them(server, people):
    """The projector's tab reloaded (or the laptop waking up) is still the instructor's: a cookie of that
    browser holds the seat, never the address. After End the room, a reload is a stranger's again."""
    from playwright.sync_api import expect

    chromium = people[0].context.browser  # two more browser contexts of the one browser: a room of their own
    contexts = [chromium.new_context(viewport={"width": 1400, "height": 900}) for _ in range(2)]
    teacher, stranger = (c.new_page() for c in contexts)
    try:
        code, _ = start_room(teacher, server, "Reloaded")
        main_area(teacher).get_by_role("button", name="I have saved it").click()
        wait_idle(teacher)
        teacher.reload()
        main = main_area(teacher)
        expect(main.get_by_role("tab", name="Dashboard")).to_be_visible(timeout=60_000)
        assert "key=" not in teacher.url
        stranger.goto(f"{server}/class?room={code}")  # the same address in another browser: no seat
        expect(main_area(stranger).get_by_text("Your nickname")).to_be_visible(timeout=60_000)
        expect(main_area(stranger).get_by_role("tab", name="Dashboard")).to_have_count(0)
        main.get_by_role("tab", name="Room").click()
        main.get_by_text("I have exported what I need").click()
        main.get_by_role("button", name="End the room").click()
        expect(main.get_by_text("Your nickname")).to_be_visible(timeout=60_000)
        wait_idle(teacher)
        teacher.goto(f"{server}/class?room={code}")
        expect(main_area(teacher).get_by_role("tab", name="Dashboard")).to_have_count(0)
        assert not [c for c in teacher.context.cookies() if c["name"] == "dlviz_instructor" and c["value"]]
    finally:
        for c in contexts:
            c.close()
