"""The match proposal (*voordracht*) and its state machine.

One home is proposed to one candidate at a time; the corporation decides before a deadline.

::

    proposed ──accept──────────> accepted ──start_tenancy──> tenancy_started
       │  ──decline────────────> declined        (corporation, or the client via caseworker)
       │  ──expire_if_due──────> expired         (now >= deadline, no decision)
       │  ──cancel─────────────> cancelled       (intake withdrawn, home withdrawn)
    accepted ──client declines─> declined
    accepted ──cancel──────────> cancelled

Rules:

* The corporation decides once: a decision on a proposal that is already accepted, declined,
  cancelled or has a tenancy raises :class:`ProposalAlreadyDecided`; on an expired proposal,
  or at/after the deadline, :class:`ProposalExpired`. The HTTP adapter maps both to 409.
  A decision made at the very instant of the deadline is late.
* The caseworker records the **client's answer**. *Client accepts*: recorded, nothing else
  changes — the corporation still decides (before its deadline) and its decision stands.
  *Client declines*: the proposal is declined with reason ``client_declined`` (decided by the
  client), also after the corporation accepted and before the tenancy starts — nobody can be
  made to take a home.
* A decline needs a coded reason; ``other`` needs a note (the note never goes onto Kafka).
* :meth:`MatchProposal.expire_if_due` marks a proposal without a decision as expired once
  ``now >= deadline``; for any other state it changes nothing.
* A tenancy can be recorded only for an accepted proposal; its start date is on or after the
  signing date and the signing date is not in the future. Its contract comes from the home.
* Time is always passed in as ``now``.

Instances are immutable; every transition returns a new :class:`MatchProposal`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from .deadlines import local_date
from .decline_reasons import DecidedBy, DeclineReason, checked_note
from .errors import (
    InvalidInput,
    InvalidTenancyDates,
    ProposalAlreadyDecided,
    ProposalExpired,
    ProposalNotAccepted,
)
from .home import Contract


class ProposalStatus(StrEnum):
    """Where a proposal is in its life cycle."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    """Ended because the intake or the home was withdrawn (see ``cancel_reason``)."""
    TENANCY_STARTED = "tenancy_started"

    @property
    def is_open(self) -> bool:
        """Proposed or accepted: the proposal still holds its home and candidate."""
        return self in (ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED)


class CancelReason(StrEnum):
    """Why an open proposal was cancelled."""

    INTAKE_WITHDRAWN = "intake_withdrawn"
    """The caseworker withdrew the intake; the home goes back to waiting for a candidate."""
    HOME_WITHDRAWN = "home_withdrawn"
    """The corporation withdrew the home; the client goes back to waiting."""


class ClientAnswer(StrEnum):
    """The client's answer to the proposed home, recorded by the caseworker."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class ClientResponse:
    """The client's answer and when the caseworker recorded it."""

    answer: ClientAnswer
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Tenancy:
    """The tenancy the accepted proposal led to. The contract is copied from the home."""

    signed_on: date
    starts_on: date
    contract: Contract

    def __post_init__(self) -> None:
        if self.starts_on < self.signed_on:
            raise InvalidTenancyDates("The tenancy cannot start before the contract is signed.")

    @property
    def omklap_due_on(self) -> date | None:
        """For an intermediary contract: when it converts to the tenant's own name."""
        return self.contract.omklap_due_on(self.starts_on)

    @property
    def ends_on(self) -> date | None:
        """For a temporary contract: the day after its term ends."""
        return self.contract.ends_on(self.starts_on)


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"The {what} must carry a time zone.")


@dataclass(frozen=True, slots=True)
class MatchProposal:
    """One home proposed to one candidate.

    ``decided_at`` is when the proposal was accepted or declined; ``ended_at`` when it stopped
    holding its home and candidate (declined, expired, cancelled or tenancy started).
    ``decline_note`` stays in matching's database and never goes onto Kafka.
    """

    match_id: str
    home_id: str
    case_id: str
    client_ref: str
    member_id: str
    corporation_id: str
    proposed_at: datetime
    deadline: datetime
    status: ProposalStatus = ProposalStatus.PROPOSED
    decided_at: datetime | None = None
    ended_at: datetime | None = None
    decline_reason: DeclineReason | None = None
    decline_note: str | None = None
    declined_by: DecidedBy | None = None
    cancel_reason: CancelReason | None = None
    client_response: ClientResponse | None = None
    tenancy: Tenancy | None = None

    def __post_init__(self) -> None:
        _require_aware(self.proposed_at, "proposal time")
        _require_aware(self.deadline, "deadline")
        if self.deadline <= self.proposed_at:
            raise InvalidInput("The decision deadline must lie after the proposal time.")

    # --- queries ----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def is_past_deadline(self, now: datetime) -> bool:
        """Whether a decision at ``now`` would be too late (``now >= deadline``)."""
        _require_aware(now, "current time")
        return now >= self.deadline

    # --- guards -----------------------------------------------------------------------------

    def _require_undecided(self, now: datetime) -> None:
        """The corporation may still decide: proposed and before the deadline."""
        if self.status is ProposalStatus.EXPIRED:
            raise ProposalExpired("The proposal expired; its decision deadline has passed.")
        if self.status is not ProposalStatus.PROPOSED:
            raise ProposalAlreadyDecided(
                f"The proposal is already {self.status.value}; it cannot be decided again."
            )
        if self.is_past_deadline(now):
            raise ProposalExpired("The decision deadline has passed; the proposal is expired.")

    # --- transitions ------------------------------------------------------------------------

    def accept(self, now: datetime) -> MatchProposal:
        """The corporation accepts the candidate for the home."""
        self._require_undecided(now)
        return dataclasses.replace(self, status=ProposalStatus.ACCEPTED, decided_at=now)

    def decline(
        self, reason: DeclineReason, now: datetime, note: str | None = None
    ) -> MatchProposal:
        """The corporation declines, with a coded reason (``other`` needs a note)."""
        self._require_undecided(now)
        cleaned = checked_note(reason, note)
        return dataclasses.replace(
            self,
            status=ProposalStatus.DECLINED,
            decided_at=now,
            ended_at=now,
            decline_reason=reason,
            decline_note=cleaned,
            declined_by=DecidedBy.CORPORATION,
        )

    def record_client_response(
        self, answer: ClientAnswer, now: datetime, note: str | None = None
    ) -> MatchProposal:
        """Record the client's answer, as the caseworker reports it.

        *Accepted*: only recorded; the corporation's decision is still needed and stands.
        Recording the same acceptance again changes nothing.
        *Declined*: the proposal is declined with reason ``client_declined`` — while proposed
        (before the deadline) or after the corporation accepted, until the tenancy starts.
        """
        _require_aware(now, "current time")
        if self.status is not ProposalStatus.ACCEPTED:
            # after the corporation's yes the client may still answer either way
            self._require_undecided(now)
        if answer is ClientAnswer.ACCEPTED:
            previous = self.client_response
            if previous is not None and previous.answer is ClientAnswer.ACCEPTED:
                return self
            return dataclasses.replace(
                self, client_response=ClientResponse(ClientAnswer.ACCEPTED, now)
            )
        return dataclasses.replace(
            self,
            status=ProposalStatus.DECLINED,
            decided_at=self.decided_at or now,
            ended_at=now,
            decline_reason=DeclineReason.CLIENT_DECLINED,
            decline_note=checked_note(DeclineReason.CLIENT_DECLINED, note),
            declined_by=DecidedBy.CLIENT,
            client_response=ClientResponse(ClientAnswer.DECLINED, now),
        )

    def expire_if_due(self, now: datetime) -> MatchProposal:
        """Mark the proposal expired when undecided at ``now >= deadline``; else no change."""
        if self.status is ProposalStatus.PROPOSED and self.is_past_deadline(now):
            return dataclasses.replace(self, status=ProposalStatus.EXPIRED, ended_at=now)
        return self

    def cancel(self, reason: CancelReason, now: datetime) -> MatchProposal:
        """End an open proposal because the intake or the home was withdrawn.

        Works whatever the deadline says: a withdrawal always releases what it held.
        """
        _require_aware(now, "current time")
        if not self.is_open:
            raise ProposalAlreadyDecided(
                f"The proposal is already {self.status.value}; there is nothing to cancel."
            )
        return dataclasses.replace(
            self, status=ProposalStatus.CANCELLED, ended_at=now, cancel_reason=reason
        )

    def start_tenancy(
        self, signed_on: date, starts_on: date, contract: Contract, now: datetime,
        *, future_signing_allowed: bool = False,
    ) -> MatchProposal:
        """Record the signed tenancy of an accepted proposal.

        ``starts_on`` must be on or after ``signed_on``; ``signed_on`` may not lie after the
        Dutch calendar day of ``now`` (a tenancy is recorded once signed) unless the region
        lets corporations record a signing they have scheduled (``future_signing_allowed``).
        ``contract`` is the home's.
        """
        _require_aware(now, "current time")
        if self.status is not ProposalStatus.ACCEPTED:
            if self.status is ProposalStatus.TENANCY_STARTED:
                raise ProposalAlreadyDecided("The tenancy of this proposal was already recorded.")
            raise ProposalNotAccepted(
                f"A tenancy needs an accepted proposal; this one is {self.status.value}."
            )
        if not future_signing_allowed and signed_on > local_date(now):
            raise InvalidTenancyDates("The signing date lies in the future.")
        tenancy = Tenancy(signed_on=signed_on, starts_on=starts_on, contract=contract)
        return dataclasses.replace(
            self, status=ProposalStatus.TENANCY_STARTED, ended_at=now, tenancy=tenancy
        )


def excluded_case_ids(proposals_for_home: Iterable[MatchProposal]) -> frozenset[str]:
    """The case ids that may not be proposed for this home again (declined or expired before).

    Pass the result as ``previously_declined`` to :func:`~.eligibility.evaluate` and the
    selection functions.
    """
    return frozenset(
        proposal.case_id
        for proposal in proposals_for_home
        if proposal.status in (ProposalStatus.DECLINED, ProposalStatus.EXPIRED)
    )
