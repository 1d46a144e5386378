"""Checks that a chart's numbers stay finite and sane, for the unit and the pages tiers (diverging settings)."""

import numpy as np

BOUND = 1e5  # no coordinate of these charts (nor any layout number) needs to be larger


def plotted_numbers(spec, where=""):
    """Every number in a figure's JSON, base64 arrays ("bdata") decoded, with where it was found."""
    import base64

    if isinstance(spec, dict):
        if "bdata" in spec and "dtype" in spec:
            for v in np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"])):
                yield where, float(v)
            return
        for key, value in spec.items():
            yield from plotted_numbers(value, f"{where}.{key}")
    elif isinstance(spec, list):
        for i, value in enumerate(spec):
            yield from plotted_numbers(value, f"{where}[{i}]")
    elif isinstance(spec, int | float) and not isinstance(spec, bool):
        yield where, float(spec)


def assert_sane(spec) -> None:
    """All numbers finite and within BOUND; on a log y axis, positive and within 32-bit floats."""
    import json

    spec = json.loads(spec) if isinstance(spec, str) else spec
    log_y = spec.get("layout", {}).get("yaxis", {}).get("type") == "log"
    for where, v in plotted_numbers(spec):
        assert np.isfinite(v), where
        if log_y and (where.endswith(".y") or ".y[" in where):
            assert 1e-38 <= v <= 1e38, (where, v)  # (plotly draws their log10)
        else:
            assert abs(v) <= BOUND, (where, v)
