"""While nothing plays, each place on a page gets one element per run (``ui.slot``).

A placeholder (``st.empty()``) filled later in its run reaches the browser as two changes some milliseconds
apart; when the browser draws in between, the chart or canvas that stood there is taken down and put up again
(Plotly's whole first drawing, a canvas component starting anew), on every Step and every widget change.
"""

import collections

import pytest
from conftest import open_page
from streamlit.runtime.scriptrunner import script_runner
from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

PAGES = [
    "playground",
    "overfitting",
    "datalab",
    "gradient_descent",
    "building_blocks",
    "convolution",
    "digits",
    "class",
]


@pytest.mark.parametrize("name", PAGES)
def test_while_nothing_plays_each_place_gets_one_element_per_run(monkeypatch, name):
    at = open_page(f"pages/{name}.py")
    runs: list[list[tuple[tuple[int, ...], str]]] = []
    enqueue, run_script = ScriptRunContext.enqueue, script_runner.ScriptRunner._run_script

    def new_run(self, *args, **kwargs):
        runs.append([])
        return run_script(self, *args, **kwargs)

    def spy(self, msg):
        if msg.WhichOneof("type") == "delta" and runs:
            delta = msg.delta
            kind = delta.new_element.WhichOneof("type") if delta.WhichOneof("type") == "new_element" else "block"
            runs[-1].append((tuple(msg.metadata.delta_path), kind))
        return enqueue(self, msg)

    monkeypatch.setattr(script_runner.ScriptRunner, "_run_script", new_run)
    monkeypatch.setattr(ScriptRunContext, "enqueue", spy)
    step = [b for b in at.button if b.label == "Step"]
    (step[0].click() if step else at).run()  # a Step reruns the board; elsewhere, the page again
    assert not at.exception, at.exception
    assert sum(map(len, runs)) > 10  # the spy saw the page drawn
    for sent in runs:
        kinds = collections.defaultdict(list)
        for path, kind in sent:
            kinds[path].append(kind)
        twice = {path: found for path, found in kinds.items() if len(found) > 1}
        # st.rerun() itself sends an empty element first (Streamlit's yield point): AppTest reruns the app once
        # through ui.use_navigation, whose run ends there
        assert twice in ({}, {(0, 0): ["empty", "heading"]}), twice
