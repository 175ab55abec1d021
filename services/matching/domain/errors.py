"""Errors raised by the matching domain.

Two families, so an HTTP adapter can map them without knowing every class:

* :class:`ConflictError` — the request is well formed but the thing is in the wrong state
  (a decision on an expired or already decided proposal, withdrawing a home that is let).
  The adapter answers **409**.
* :class:`InvalidInput` — the request itself is wrong (a decline with reason ``other`` and no
  note, a tenancy that starts before it was signed, a candidate with preferred and excluded
  municipalities overlapping). The adapter answers **422**.

:class:`InconsistentMatch` signals a programming error in the caller (a proposal passed
with a home it does not belong to); it is neither, and should surface as a 500.

Every error carries a stable ``code`` (snake_case) and a message a person can act on. Messages
never contain personal data: they speak of "the client", "the home", never of a name or an
income.
"""

from __future__ import annotations

from typing import ClassVar


class MatchingError(Exception):
    """Base class for every error the matching domain raises."""

    code: ClassVar[str] = "matching_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConflictError(MatchingError):
    """The thing is not in a state that allows this action (HTTP 409)."""

    code = "conflict"


class InvalidInput(MatchingError, ValueError):
    """The input breaks a domain rule (HTTP 422)."""

    code = "invalid_input"


class InconsistentMatch(MatchingError):
    """The caller combined a proposal, home and candidate that do not belong together."""

    code = "inconsistent_match"


# --- conflicts (409) -----------------------------------------------------------------------


class ProposalExpired(ConflictError):
    """A decision arrived at or after the proposal's deadline, or on an expired proposal."""

    code = "proposal_expired"


class ProposalAlreadyDecided(ConflictError):
    """A decision arrived for a proposal that was already accepted, declined or closed."""

    code = "proposal_already_decided"


class ProposalNotAccepted(ConflictError):
    """A tenancy was recorded for a proposal the corporation has not accepted."""

    code = "proposal_not_accepted"


class HomeNotOffered(ConflictError):
    """A home that is not waiting for a candidate (status ``offered``) cannot be proposed."""

    code = "home_not_offered"


class HomeAlreadyLet(ConflictError):
    """The home has been let (tenancy started); it can no longer be withdrawn or proposed."""

    code = "home_already_let"


class HomeAlreadyWithdrawn(ConflictError):
    """The home was already withdrawn by its corporation."""

    code = "home_already_withdrawn"


class CandidateNotWaiting(ConflictError):
    """The candidate is not waiting (already in an open proposal, housed or withdrawn)."""

    code = "candidate_not_waiting"


class CandidateAlreadyHoused(ConflictError):
    """The candidate's tenancy has started; the intake can no longer release a home."""

    code = "candidate_already_housed"


class CandidateAlreadyWithdrawn(ConflictError):
    """The candidate's intake was already withdrawn."""

    code = "candidate_already_withdrawn"


# --- invalid input (422) -------------------------------------------------------------------


class DeclineNoteRequired(InvalidInput):
    """A decline with reason ``other`` needs a note explaining it."""

    code = "decline_note_required"


class InvalidTenancyDates(InvalidInput):
    """The tenancy's signing and start dates do not fit together."""

    code = "invalid_tenancy_dates"


class InvalidHome(InvalidInput):
    """A home offer breaks a domain rule (negative rent, unknown contract terms...)."""

    code = "invalid_home"


class InvalidCandidate(InvalidInput):
    """A candidate breaks a domain rule (no adults, overlapping municipality lists...)."""

    code = "invalid_candidate"


class InvalidPolicy(InvalidInput):
    """A region's policy table is malformed (overlapping rows, gaps in household sizes)."""

    code = "invalid_policy"
