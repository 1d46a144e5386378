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


def test_significant_rounds_and_switches_to_scientific_only_for_long_decimals():
    assert text.significant(12.220000267028809) == "12.22"
    assert text.significant(2.0) == "2"
    assert text.significant(0.0001234567) == "1.235e-04"  # "0.0001235" would read as raw digits
    assert text.significant(1 / 3, 6) == "0.333333"
    assert not text.RAW_DIGITS.search(text.significant(np.float32(0.1) * 1e-3))
