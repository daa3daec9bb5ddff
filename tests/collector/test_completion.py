"""Completion rules: stable size+mtime for ``stable_seconds``, or a rename from the temporary name."""

from __future__ import annotations

from pathlib import PurePath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlink.collector.completion import CompletionTracker, Observation, renamed_in, temporary_name_of


def test_a_file_is_complete_only_after_looking_the_same_for_the_stable_time() -> None:
    tracker = CompletionTracker(stable_seconds=2.0)
    assert not tracker.observe("/in/a.csv", Observation(10, 1), now=0.0)
    assert not tracker.observe("/in/a.csv", Observation(10, 1), now=1.9)
    assert not tracker.observe("/in/a.csv", Observation(20, 2), now=2.5)  # grew: the clock restarts
    assert not tracker.observe("/in/a.csv", Observation(20, 2), now=4.4)
    assert tracker.observe("/in/a.csv", Observation(20, 2), now=4.5)
    assert "/in/a.csv" not in tracker


def test_mtime_change_without_size_change_restarts_the_clock() -> None:
    tracker = CompletionTracker(stable_seconds=1.0)
    tracker.observe("/in/a.csv", Observation(10, 1), now=0.0)
    assert not tracker.observe("/in/a.csv", Observation(10, 2), now=1.5)
    assert tracker.observe("/in/a.csv", Observation(10, 2), now=2.5)


def test_a_vanished_file_is_forgotten() -> None:
    tracker = CompletionTracker(stable_seconds=1.0)
    tracker.observe("/in/a.csv", Observation(10, 1), now=0.0)
    assert not tracker.observe("/in/a.csv", None, now=5.0)
    assert len(tracker) == 0


def test_zero_stable_time_takes_a_file_at_first_sight() -> None:
    tracker = CompletionTracker(stable_seconds=0)
    assert tracker.observe("/in/a.csv", Observation(1, 1), now=0.0)
    assert len(tracker) == 0


@pytest.mark.parametrize(
    ("temp", "final", "expected"),
    [
        ("invoice.xml.tmp", "invoice.xml", True),
        (".invoice.xml", "invoice.xml", True),
        ("~invoice.xml", "invoice.xml", True),
        ("invoice.part", "invoice.xml", True),
        ("INVOICE.XML.PARTIAL", "invoice.xml", True),
        ("other.xml.tmp", "invoice.xml", False),
        ("invoice.xml", "invoice.xml", False),
        ("invoice.bak", "invoice.xml", False),
    ],
)
def test_temporary_names(temp: str, final: str, expected: bool) -> None:
    assert temporary_name_of(temp, final) is expected


def test_renamed_in_pairs_only_within_the_same_folder() -> None:
    added = {"/in/a.xml", "/in/b.xml", "/other/c.xml"}
    deleted = {"/in/a.xml.tmp", "/in/unrelated.tmp", "/elsewhere/c.xml.tmp"}
    assert renamed_in(added, deleted) == {"/in/a.xml"}


def _renamed_in_pairwise(added: set[str], deleted: set[str]) -> set[str]:
    """The definition of rule 2, pair by pair (quadratic; the reference for the indexed version)."""
    return {a for a in added for d in deleted
            if PurePath(a).parent == PurePath(d).parent and temporary_name_of(PurePath(d).name, PurePath(a).name)}


_NAME = st.builds(
    lambda lead, stem, ext, suffix: lead + stem + ext + suffix,
    st.sampled_from(["", ".", "~", "~.", ".~"]),
    st.sampled_from(["a", "A", "inv", "INV", "inv.2026", ""]),
    st.sampled_from(["", ".xml", ".XML", ".csv", ".tmp"]),
    st.sampled_from(["", ".tmp", ".part", ".PARTIAL", ".crdownload", ".writing", ".bak"]),
).filter(bool)
_PATHS = st.sets(st.builds(lambda folder, name: f"{folder}/{name}", st.sampled_from(["/in", "/out"]), _NAME),
                 max_size=12)


@given(added=_PATHS, deleted=_PATHS)
@settings(max_examples=400, deadline=None)
def test_renamed_in_matches_the_pairwise_rule(added: set[str], deleted: set[str]) -> None:
    assert renamed_in(added, deleted) == _renamed_in_pairwise(added, deleted)


def test_renamed_in_is_linear_for_a_burst_of_renames() -> None:
    added = {f"/in/inv{i:05}.json" for i in range(20_000)}
    deleted = {f"/in/inv{i:05}.json.tmp" for i in range(20_000)}
    # pair by pair this is 4 * 10**8 comparisons (minutes); indexed it is two passes
    assert renamed_in(added, deleted) == added
