"""The simulator's lag of a consumer group: the records it has not finished.

A service reports, per partition, the first record its consumer has not finished
(`GET /admin/backlog`), and commits that to Kafka only some time later
(`shared.consumer.Progress`). Quiescence counts from the reported position, and from the
committed offset only where the service reports none (a partition it has not read from)."""

from __future__ import annotations

from aiokafka import TopicPartition

from transferpunt.simulator import group_lag

A, B, C = (TopicPartition("t", p) for p in range(3))


def test_a_group_whose_positions_reach_the_end_owes_nothing() -> None:
    assert group_lag([A, B], {A: 5, B: 2}, {A: 5, B: 2}, {}) == 0


def test_a_reported_position_counts_even_where_the_commit_trails_it() -> None:
    assert group_lag([A], {A: 9}, {A: 9}, {A: 4}) == 0
    assert group_lag([A], {A: 9}, {A: 7}, {A: 4}) == 2


def test_the_committed_offset_decides_where_nothing_is_reported() -> None:
    assert group_lag([A, B], {A: 9, B: 6}, {A: 9}, {B: 2}) == 4
    assert group_lag([A, B], {A: 9, B: 6}, {A: 9}, {}) == 6  # nothing committed: all of it


def test_only_the_group_s_partitions_count() -> None:
    assert group_lag([A], {A: 3, C: 100}, {A: 3}, {}) == 0


def test_a_position_past_the_end_read_earlier_owes_nothing() -> None:
    """The end offsets are read before the positions; they may have moved on since."""
    assert group_lag([A], {A: 3}, {A: 5}, {}) == 0
