"""Numbers as participants read them."""

import numpy as np

from dlviz.core import text


def test_float32_numbers_are_listed_rounded():
    assert text.listed(np.float32([12.22, 4.34])) == "[12.22, 4.34]"
    assert text.listed(np.float32([0.0123, 0.98765]), 3) == "[0.012, 0.988]"
    assert text.listed([-0.001, 2]) == "[0.00, 2.00]"  # no minus zero
    assert not text.RAW_DIGITS.search(text.listed(np.float32([1 / 3, 2 / 3])))


def test_raw_digits_are_recognised():
    assert text.RAW_DIGITS.search(str([float(np.float32(12.22))]))  # "12.220000267028809"
    assert not text.RAW_DIGITS.search("loss 0.123457 · w = 4.99999")
