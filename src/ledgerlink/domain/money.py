"""Money arithmetic with explicit, documented rounding (``Decimal`` only, never ``float``).

Rounding rules used across ledgerlink:

* Amounts are rounded to 2 decimals (EN 16931, BR-DEC-*) with ``ROUND_HALF_UP``: halves go away
  from zero, ``0.125 → 0.13`` and ``-0.125 → -0.13``. The official validators compute with
  ``round(x * 100) div 100`` on absolute values for the VAT checks, which gives the same result.
* VAT for a (category, rate) group is computed once on the group's taxable amount, never per line:
  ``vat_for(taxable, rate) = round_amount(taxable × rate / 100)`` (BR-CO-17).
* Where EN 16931 compares a stated figure with a computed one it allows a tolerance: strictly less
  than 1 currency unit for the VAT amount (BR-CO-17, BR-S-09) and the standard-rated taxable amount
  (BR-S-08); :func:`within` expresses that.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}
_CENT = _QUANTUM[2]


def round_amount(value: Decimal, places: int = 2) -> Decimal:
    """``value`` rounded half-up (away from zero) to ``places`` decimals: ``1.005 → 1.01``."""
    quantum = _CENT if places == 2 else _QUANTUM.get(places) or Decimal(1).scaleb(-places)
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def vat_for(taxable: Decimal, rate: Decimal) -> Decimal:
    """VAT due on ``taxable`` at ``rate`` percent, rounded to 2 decimals: ``vat_for(1325, 25) == 331.25``.

    A negative taxable amount gives the mirrored negative VAT (``ROUND_HALF_UP`` is symmetric).
    """
    return round_amount(taxable * rate / HUNDRED)


def decimal_places(value: Decimal) -> int:
    """How many decimals ``value`` is written with: ``1.50 → 2``, ``1.500 → 3``, ``12 → 0``.

    The canonical model keeps amounts as given, so this is what BR-DEC-* check.
    """
    for places, quantum in _COMMON_QUANTA:  # fast path: same_quantum is far cheaper than as_tuple
        if value.same_quantum(quantum):
            return places
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


_COMMON_QUANTA = ((2, _QUANTUM[2]), (0, _QUANTUM[0]), (1, _QUANTUM[1]))


def within(found: Decimal, expected: Decimal, tolerance: Decimal = ONE) -> bool:
    """True when ``found`` differs from ``expected`` by strictly less than ``tolerance``."""
    return abs(found - expected) < tolerance


def fmt(value: Decimal | None) -> str | None:
    """A decimal as plain text for messages (``1E+2`` is written ``100``); ``None`` stays ``None``."""
    if value is None:
        return None
    return format(value, "f")
