"""The simulator's lag of a consumer group: only records the group still has to handle.

A consumer passes over the records of types it has no handler for and commits past them
only later (`shared.consumer.poll_without_resting`), so committed offsets may stay behind
such records for a while; quiescence must not wait for them, and must wait for everything
else — including records the simulator's own reader has not seen yet."""

from __future__ import annotations

from transferpunt.simulator import PartitionRead, records_owed

OTHERS = frozenset({"HomeOffered", "AllocationRequested"})  # what the group passes over


def read(start: int, types: list[str | None]) -> PartitionRead:
    return PartitionRead(start=start, to=start + len(types),
                         offsets=list(range(start, start + len(types))), types=list(types))


def test_a_group_that_committed_the_end_owes_nothing() -> None:
    assert records_owed(read(0, ["HomeOffered", "MatchProposed"]), 2, 2, OTHERS) == (0, 0)


def test_records_it_passes_over_do_not_count_and_the_others_do() -> None:
    seen = read(10, ["HomeOffered", "MatchProposed", "AllocationRequested", "TenancyStarted"])
    assert records_owed(seen, 10, 14, OTHERS) == (2, 0)
    assert records_owed(seen, 12, 14, OTHERS) == (1, 0)
    assert records_owed(seen, 12, 13, OTHERS) == (0, 0)  # only passed-over ones: caught up


def test_a_record_without_a_type_header_counts() -> None:
    """The consumer parses it (and dead-letters it if broken), then commits."""
    assert records_owed(read(0, [None, "HomeOffered"]), 0, 2, OTHERS) == (1, 0)


def test_records_the_reader_has_not_seen_count_whatever_they_are() -> None:
    seen = read(10, ["HomeOffered", "HomeOffered"])  # the reader is at 12
    assert records_owed(seen, 10, 15, OTHERS) == (0, 3)
    assert records_owed(seen, 7, 12, OTHERS) == (0, 3)  # before the reader's start: 7, 8, 9
    assert records_owed(seen, 7, 15, OTHERS) == (0, 6)


def test_every_record_counts_for_a_group_that_does_not_say_what_it_passes_over() -> None:
    assert records_owed(read(0, ["HomeOffered", "HomeOffered"]), 0, 2, None) == (2, 0)
