"""Numbers as a participant reads them: rounded, never a float32's raw digits (12.220000267028809)."""

from __future__ import annotations

import html
import re

import numpy as np

# A number printed with seven or more decimals: what str() of a float32 turned float64 looks like.
RAW_DIGITS = re.compile(r"\d\.\d{7,}")


def listed(values, decimals: int = 2) -> str:
    """``[12.22, 4.34]``: a list of numbers rounded for reading, whatever their dtype."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    return "[" + ", ".join(_rounded(v, decimals) for v in flat) + "]"


def significant(value: float, digits: int = 4) -> str:
    """``value`` to ``digits`` significant digits, in scientific notation where that would take seven decimals."""
    out = f"{float(value):.{digits}g}"
    return f"{float(value):.{digits - 1}e}" if RAW_DIGITS.search(out) else out


def _rounded(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return f"{0.0:.{decimals}f}" if float(text) == 0 else text  # no "-0.00"


def short_labels(names, width: int) -> list[str]:
    """Names cut to ``width`` characters for a table's header or a chart's axis, kept apart.

    Two long names that share their first characters ("customer_satisfaction=high" and "=low") would become
    one column (pyarrow refuses duplicate names) or one row of a matrix; the second of such a pair gets
    its number: "customer_satisfa… (2)".
    """
    out, seen = [], set()
    for name in names:
        text = str(name)
        base = text if len(text) <= width else text[: width - 1] + "…"
        label, n = base, 1
        while label in seen:
            n += 1
            label = f"{base} ({n})"
        seen.add(label)
        out.append(label)
    return out


def chart_text(text) -> str:
    """Text from a table or a participant as a Plotly label shows it: typed, not as markup (``<b>``, links)."""
    return html.escape(str(text), quote=False)
