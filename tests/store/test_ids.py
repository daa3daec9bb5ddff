"""Store ids: UUIDv7 text (RFC 9562), time-ordered and unique within a process."""

from __future__ import annotations

import time
import uuid

from ledgerlink.store.database import new_id


def test_ids_are_rfc_9562_version_7_in_canonical_text() -> None:
    for text in (new_id() for _ in range(1000)):
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # lower-case hex, 8-4-4-4-12
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_carry_the_creation_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    millis = uuid.UUID(new_id()).int >> 80
    after = time.time_ns() // 1_000_000
    assert before <= millis <= after + 1  # +1: a counter overflow may borrow the next millisecond


def test_ids_sort_in_creation_order_and_never_repeat() -> None:
    ids = [new_id() for _ in range(50_000)]  # many per millisecond: the counter keeps them ordered
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
