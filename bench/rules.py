"""Rules benchmark: check() on a 10-line invoice vs raw baselines measured in the same run.

    python bench/rules.py [--repeat R] [--number N]

Baselines: (raw) a bare loop summing the line net amounts and comparing them with the stated
BT-106 (the least any validator does); (parse) ``Invoice.model_validate`` of the same document's
JSON-ready dict (what ingest pays anyway before the rules run). Also one Peppol sample read by the
UBL reader, when it is present. Figures are the best of R runs of N calls, in µs per call.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ledgerlink.domain.documents import Invoice  # noqa: E402
from ledgerlink.domain.rules import RULES, check  # noqa: E402
from tests.domain.factories import make_allowance, make_charge, make_invoice, make_line  # noqa: E402


def best(fn, number: int, repeat: int) -> float:
    # CPU time of this process: other jobs on the machine do not count against us
    return min(timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time)) / number * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--number", type=int, default=2000)
    a = ap.parse_args()

    plain = make_invoice(lines=[make_line(id=str(i + 1)) for i in range(10)])
    rich = make_invoice(lines=[make_line(id=str(i + 1)) for i in range(10)],
                        allowances=[make_allowance()], charges=[make_charge()])
    assert check(plain) == [] and check(rich) == []
    obj = plain.model_dump(mode="json")

    def raw() -> bool:
        total = Decimal(0)
        for line in plain.lines:
            total += line.net_amount
        return total == plain.totals.line_extension_amount

    t_raw = best(raw, a.number, a.repeat)
    t_parse = best(lambda: Invoice.model_validate(obj), a.number // 4 or 1, a.repeat)
    t_plain = best(lambda: check(plain), a.number, a.repeat)
    t_rich = best(lambda: check(rich), a.number, a.repeat)
    print(f"rules registered: {len(RULES)}")
    print(f"raw baseline (sum 10 lines, compare BT-106): {t_raw:8.2f} µs")
    print(f"parse baseline (model_validate, 10 lines):   {t_parse:8.2f} µs")
    print(f"check() 10-line invoice:                     {t_plain:8.2f} µs  = {t_plain / t_raw:5.1f}× raw, "
          f"{t_plain / t_parse:4.2f}× parse")
    print(f"check() 10 lines + allowance + charge:       {t_rich:8.2f} µs  = {t_rich / t_raw:5.1f}× raw, "
          f"{t_rich / t_parse:4.2f}× parse")


if __name__ == "__main__":
    main()
