"""Garbage-collector settings for long-running processes (the API server).

Rule: what is alive once start-up is done (modules, pydantic schemas and validators, SQLAlchemy
metadata, the app) lives as long as the process. :func:`settle_after_startup` collects start-up's
garbage, then ``gc.freeze()`` moves the rest out of the collector's generations. A full collection,
which a busy ingest triggers every few batches as request objects survive into the old generation,
then walks only what requests allocated, not the ~10⁵ start-up objects. ``bench/ingest.py`` measured
about a quarter less server CPU per invoice with it. Objects are never freed by freezing: only the
long-lived start-up heap is frozen, once, before the first request.

Rule two: work that allocates a burst of acyclic objects which all live until it ends (a batch of
validated documents, an export batch's entries) runs under :func:`gc_deferred`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def settle_after_startup() -> int:
    """Freeze the start-up heap; the number of objects now outside the collector's generations."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@contextmanager
def gc_deferred() -> Iterator[None]:
    """Automatic cyclic garbage collection waits for the end of the block.

    A batch allocates tens of thousands of small objects (document models, postings) that live until
    the batch is done; every automatic collection on the way finds nothing to free and scans them
    again. Reference counting still frees memory as usual; collection resumes, with its counters as
    they are, when the block ends. Nested or concurrent use (threads) is harmless: only the block that
    found collection enabled enables it again, so collection is never left off, at worst resumed early.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
