"""``python -m dlviz.bench playground --screen --tfp URL``: the parts that need no TensorFlow Playground build."""

import json

import pytest

from dlviz.tools import bench, tfp

DLVIZ = {
    "open_to_first_chart_s": 5.5,
    "first_epoch_s": 0.3,
    "first_epoch_new_network_s": 0.33,
    "step_on_screen_ms": 450.0,
    "change_on_screen_ms": 500.0,
    "xor_seconds_to_95": 1.2,
}
TFP = {
    "open_to_first_chart_s": 0.5,
    "first_epoch_s": 0.1,
    "first_epoch_new_network_s": 0.11,
    "step_on_screen_ms": 45.0,
    "change_on_screen_ms": 0.0,
    "xor_seconds_to_95": 1.0,
    "xor_epochs_to_fit": 40,
}


def test_ratios_are_dlviz_over_tfp_for_each_figure_both_have():
    ratios = tfp.ratios(DLVIZ, TFP)
    assert ratios == {
        "open_to_first_chart_s": 11.0,
        "first_epoch_s": 3.0,
        "first_epoch_new_network_s": 3.0,
        "step_on_screen_ms": 10.0,
        "change_on_screen_ms": None,  # TFP's 0: no ratio rather than a division by zero
        "xor_seconds_to_95": 1.2,
    }
    assert tfp.ratios({"first_epoch_s": 0.3}, {"first_epoch_s": None}) == {"first_epoch_s": None}
    assert tfp.ratios({"first_epoch_s": 0.3}, {}) == {}


def test_with_tfp_keeps_dlviz_figures_and_adds_tfp_and_ratios():
    merged = tfp.with_tfp(DLVIZ, TFP)
    assert {k: merged[k] for k in DLVIZ} == DLVIZ
    assert merged["tfp"] == TFP
    assert merged["ratios"]["step_on_screen_ms"] == 10.0


def test_median_skips_the_warm_up_and_reports_a_missing_value():
    assert tfp.median([9.0, 1.0, 3.0, 2.0]) == 2.0
    assert tfp.median([9.0, 1.0, None, 2.0]) is None
    assert tfp.median([None, 1.0, 2.0]) == 1.5
    assert tfp.median([1.0]) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/"),
        ("http://localhost:8000/dist/#dataset=circle", "http://localhost:8000/dist/"),
        ("http://[::1]:8000/", "http://[::1]:8000/"),
    ],
)
def test_check_url_takes_loopback_urls(url, expected):
    assert tfp.check_url(url) == expected


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8000", "file:///tmp/tfp/dist/index.html", "https://playground.tensorflow.org/"]
)
def test_check_url_refuses_anything_but_http_on_loopback(url):
    with pytest.raises(ValueError):
        tfp.check_url(url)


def test_page_url_puts_the_state_in_the_fragment():
    url = tfp.page_url("http://127.0.0.1:8000/#old", "0.00001", (5, 3), "relu")
    assert url == "http://127.0.0.1:8000/#dataset=xor&networkShape=5,3&activation=relu&seed=0.00001"


def test_main_adds_tfp_and_ratios_to_the_screen_json(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(bench, "bench_playground_screen", lambda: dict(DLVIZ))
    monkeypatch.setattr(tfp, "check_served", lambda url: calls.append(("checked", url)))

    def fake_bench(url, runs=None):
        calls.append(("measured", url))
        runs.update({name: [value] for name, value in TFP.items()})
        return dict(TFP)

    monkeypatch.setattr(tfp, "bench_tfp_screen", fake_bench)
    bench.main(["playground", "--screen", "--tfp", "http://127.0.0.1:8123"])
    out = capsys.readouterr().out.splitlines()
    result = json.loads(out[-1])
    assert calls == [("checked", "http://127.0.0.1:8123/"), ("measured", "http://127.0.0.1:8123/")]
    assert result["tfp"] == TFP
    assert result["ratios"] == tfp.ratios(DLVIZ, TFP)
    assert result["first_epoch_s"] == DLVIZ["first_epoch_s"]
    assert any(line.startswith("tensorflow playground: ") for line in out)


def test_main_without_tfp_prints_dlviz_figures_alone(monkeypatch, capsys):
    monkeypatch.setattr(bench, "bench_playground_screen", lambda: dict(DLVIZ))
    bench.main(["playground", "--screen"])
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == DLVIZ


@pytest.mark.parametrize(
    "argv",
    [
        ["playground", "--tfp", "http://127.0.0.1:8000/"],  # not --screen
        ["digits", "--screen", "--tfp", "http://127.0.0.1:8000/"],
        ["playground", "--screen", "--tfp", "http://example.org/"],  # not loopback
    ],
)
def test_main_refuses_tfp_where_it_does_not_belong(monkeypatch, argv):
    monkeypatch.setattr(bench, "bench_playground_screen", lambda: pytest.fail("measured before refusing"))
    with pytest.raises(SystemExit) as exit_info:
        bench.main(argv)
    assert exit_info.value.code == 2


def test_main_refuses_a_url_where_nothing_answers(monkeypatch):
    monkeypatch.setattr(bench, "bench_playground_screen", lambda: pytest.fail("measured before refusing"))
    from dlviz.tools.serve import free_port

    with pytest.raises(SystemExit):
        bench.main(["playground", "--screen", "--tfp", f"http://127.0.0.1:{free_port()}/"])
