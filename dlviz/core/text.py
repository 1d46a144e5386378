"""Numbers as a participant reads them: rounded, never a float32's raw digits (12.220000267028809)."""

from __future__ import annotations

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
