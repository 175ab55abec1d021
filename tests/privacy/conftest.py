"""The privacy scan reads what the faulted run left behind (tests/faults/run.py)."""

from tests.faults.run import faulted_run

__all__ = ["faulted_run"]
