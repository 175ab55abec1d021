"""A service freezes what start-up built and collects young objects less often
(`shared.runtime.settle_heap`; why: its docstring and docs/benchmark.md, round eight)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from shared.runtime import GC_GEN0_THRESHOLD, settle_heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def _collectable(obj: object) -> bool:
    """Whether a full collection would still walk `obj` (frozen objects are left out)."""
    return any(o is obj for o in gc.get_objects())


@pytest.mark.usefixtures("restored_gc")
def test_settling_freezes_what_start_up_built_and_raises_the_young_threshold() -> None:
    gc.unfreeze()
    built_at_start_up = {"routes": [1, 2, 3]}
    assert _collectable(built_at_start_up)

    settle_heap()

    assert not _collectable(built_at_start_up)
    assert gc.get_threshold()[0] == GC_GEN0_THRESHOLD > 700  # above CPython's default
    built_later = {"request": [4]}
    assert _collectable(built_later)  # what a request builds is collected as before


@pytest.mark.usefixtures("restored_gc")
def test_settling_keeps_the_older_generations_thresholds() -> None:
    gc.set_threshold(700, 11, 12)
    settle_heap()
    assert gc.get_threshold() == (GC_GEN0_THRESHOLD, 11, 12)
