"""Two participants on one server: what one does never shows up in the other's session."""

import asyncio
import re

from dlviz.tools.serve import streamlit_server
from dlviz.tools.wsclient import Session


async def two_participants(url: str) -> dict:
    alice, bob = Session(url), Session(url)
    await alice.connect()
    await bob.connect()
    try:
        await alice.open("playground")
        await alice.set(alice.find("Noise (%)", "slider"), 40)
        stepped = await alice.click("Step")
        bob_sees = await bob.open("playground")
        noise = bob.find("Noise (%)", "slider").proto
        return {"alice": stepped.text(), "bob": bob_sees.text(), "bob_noise": list(noise.value) or list(noise.default),
                "alice_query": alice.query_string, "bob_query": bob.query_string}  # fmt: skip
    finally:
        await alice.close()
        await bob.close()


def test_one_participants_settings_and_training_stay_in_their_own_session():
    with streamlit_server() as url:
        seen = asyncio.run(two_participants(url))
    assert re.search(r"\*\*Epoch 1\*\*", seen["alice"]) and "noise=40" in seen["alice_query"]
    assert re.search(r"\*\*Epoch 0\*\*", seen["bob"]) and not re.search(r"\*\*Epoch 1\*\*", seen["bob"])
    assert seen["bob_noise"] == [0.0] and "noise" not in seen["bob_query"]
