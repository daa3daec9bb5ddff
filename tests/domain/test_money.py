"""Rounding and VAT helpers (ledgerlink.domain.money)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerlink.domain.money import decimal_places, fmt, round_amount, vat_for, within


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("1.005", 2, "1.01"),
        ("1.004", 2, "1.00"),
        ("-1.005", 2, "-1.01"),
        ("2.5", 0, "3"),
        ("0.125", 2, "0.13"),
        ("10", 2, "10.00"),
        ("1.23456", 4, "1.2346"),
    ],
)
def test_round_amount_is_half_up(value: str, places: int, expected: str) -> None:
    assert str(round_amount(D(value), places)) == expected


@pytest.mark.parametrize(
    ("taxable", "rate", "vat"),
    [
        ("1325", "25", "331.25"),
        ("4900.0", "25", "1225.00"),
        ("100.10", "19", "19.02"),
        ("0.05", "10", "0.01"),
        ("-100.10", "19", "-19.02"),
        ("1000", "0", "0.00"),
    ],
)
def test_vat_for(taxable: str, rate: str, vat: str) -> None:
    assert vat_for(D(taxable), D(rate)) == D(vat)


@pytest.mark.parametrize(
    ("value", "places"),
    [("1.50", 2), ("1.500", 3), ("12", 0), ("1.5", 1), ("1E+2", 0), ("0.0001", 4), ("-3.14159", 5)],
)
def test_decimal_places_counts_written_decimals(value: str, places: int) -> None:
    assert decimal_places(D(value)) == places


def test_within_is_strict_and_fmt_is_plain() -> None:
    assert within(D("10.99"), D("10.00")) and not within(D("11.00"), D("10.00"))
    assert fmt(D("1E+2")) == "100" and fmt(None) is None


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_round_amount_is_close_and_has_two_places(x: D) -> None:
    r = round_amount(x)
    assert decimal_places(r) == 2
    assert abs(r - x) <= D("0.005")


@given(
    st.decimals(min_value=0, max_value=10**7, places=2), st.sampled_from(["0", "5.5", "7", "19", "21", "25"])
)
def test_vat_is_symmetric_for_credit_amounts(taxable: D, rate: str) -> None:
    assert vat_for(-taxable, D(rate)) == -vat_for(taxable, D(rate))
