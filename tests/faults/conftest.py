"""The faulted run is shared with the privacy suite (tests/faults/run.py)."""

from tests.faults.run import faulted_run

__all__ = ["faulted_run"]
