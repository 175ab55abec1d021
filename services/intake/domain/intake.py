"""The Intake aggregate: one client's case from draft to closed (het cliëntdossier).

Lifecycle::

    draft ──submit──> submitted ──propose──> proposed ──mark_housed──> housed ──close──> closed
                          ^                      │
                          └── client_declines ───┤  (the client keeps the last word)
                          └── return_to_waiting ─┘  (corporation declined, expired, home withdrawn)

    draft, submitted, proposed ──withdraw──> withdrawn

Every method takes `now` (business time from the application's clock) and raises
`TransitionNotAllowed` when the current status does not allow the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from services.intake.domain.affordability import max_affordable_rent_cents
from services.intake.domain.client import PersonalData
from services.intake.domain.details import (
    IntakeDetails,
    IntakeRules,
    normalise_details,
    validate_details,
)
from services.intake.domain.errors import ErrorList, TransitionNotAllowed
from services.intake.domain.household import required_bedrooms
from services.intake.domain.matching_view import (
    CaseIdentity,
    MatchingView,
    build_matching_view,
    changed_matching_fields,
)
from services.intake.domain.pseudonym import is_client_ref
from services.intake.domain.retention import DEFAULT_RETENTION_MONTHS, erasure_due
from services.intake.domain.risks import erased_risks

CLIENT_NOTE_MAX = 1000


class IntakeStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for a home (wachtend)
    PROPOSED = "proposed"  # a home is proposed (woning voorgedragen)
    HOUSED = "housed"  # tenancy started, aftercare running
    CLOSED = "closed"  # aftercare ended
    WITHDRAWN = "withdrawn"  # ingetrokken before the client was housed


ALLOWED_TRANSITIONS: dict[IntakeStatus, frozenset[IntakeStatus]] = {
    IntakeStatus.DRAFT: frozenset({IntakeStatus.SUBMITTED, IntakeStatus.WITHDRAWN}),
    IntakeStatus.SUBMITTED: frozenset({IntakeStatus.PROPOSED, IntakeStatus.WITHDRAWN}),
    IntakeStatus.PROPOSED: frozenset(
        {IntakeStatus.SUBMITTED, IntakeStatus.HOUSED, IntakeStatus.WITHDRAWN}
    ),
    IntakeStatus.HOUSED: frozenset({IntakeStatus.CLOSED}),
    IntakeStatus.CLOSED: frozenset(),
    IntakeStatus.WITHDRAWN: frozenset(),
}

OPEN_STATUSES = frozenset(
    {IntakeStatus.DRAFT, IntakeStatus.SUBMITTED, IntakeStatus.PROPOSED, IntakeStatus.HOUSED}
)
# Matching data can change only while the client still waits for (or considers) a home.
_EDITABLE = frozenset({IntakeStatus.DRAFT, IntakeStatus.SUBMITTED, IntakeStatus.PROPOSED})


class WithdrawalReason(StrEnum):
    CLIENT_REQUEST = "client_request"
    HOUSED_ELSEWHERE = "housed_elsewhere"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    LOST_CONTACT = "lost_contact"
    DECEASED = "deceased"
    OTHER = "other"


class ClientDeclineReason(StrEnum):
    LOCATION = "location"  # the neighbourhood or municipality does not suit
    HOME_UNSUITABLE = "home_unsuitable"  # size, layout, accessibility
    TOO_EXPENSIVE = "too_expensive"
    NOT_READY = "not_ready"
    OTHER = "other"


class ProposalOutcome(StrEnum):
    CLIENT_DECLINED = "client_declined"
    CORPORATION_DECLINED = "corporation_declined"
    EXPIRED = "expired"
    HOME_WITHDRAWN = "home_withdrawn"
    HOUSED = "housed"
    INTAKE_WITHDRAWN = "intake_withdrawn"


# The outcomes that matching reports and that send the client back to the waiting list.
RETURN_TO_WAITING = frozenset(
    {
        ProposalOutcome.CORPORATION_DECLINED,
        ProposalOutcome.EXPIRED,
        ProposalOutcome.HOME_WITHDRAWN,
    }
)


@dataclass(frozen=True, slots=True)
class ClientAnswer:
    accepted: bool
    at: datetime
    reason: ClientDeclineReason | None = None
    note: str = field(default="", repr=False)  # free text: personal, erased with the rest


@dataclass(frozen=True, slots=True)
class Proposal:
    match_id: str
    proposed_at: datetime
    client_answer: ClientAnswer | None = None
    outcome: ProposalOutcome | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    from_status: IntakeStatus
    to_status: IntakeStatus
    at: datetime


@dataclass
class Intake:
    """One client's case. Build with `Intake.open`; change only through the methods."""

    case_id: str
    client_ref: str
    member_id: str
    caseworker_id: str
    details: IntakeDetails
    required_bedrooms: int
    max_affordable_rent_cents: int
    opened_at: datetime
    status: IntakeStatus = IntakeStatus.DRAFT
    submitted_at: datetime | None = None  # first submission: waiting time counts from here
    tenancy_start: date | None = None
    ended_at: datetime | None = None  # closed or withdrawn: the retention period starts here
    withdrawal_reason: WithdrawalReason | None = None
    personal_data_erased_at: datetime | None = None
    proposals: list[Proposal] = field(default_factory=list)
    history: list[StatusChange] = field(default_factory=list)

    # ---- creation and updates -------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        case_id: str,
        client_ref: str,
        member_id: str,
        caseworker_id: str,
        details: IntakeDetails,
        rules: IntakeRules,
        now: datetime,
    ) -> Intake:
        """A new draft. Raises `IntakeInvalid` listing every invalid field.

        `member_id` and `caseworker_id` come from the caller's token, never from the form.
        """
        errors = ErrorList()
        errors.extend(validate_details(details, rules, now.date()))
        _check_identity(errors, case_id, client_ref, member_id, caseworker_id)
        errors.raise_if_any()
        clean = normalise_details(details, rules.region)
        return cls(
            case_id=case_id,
            client_ref=client_ref,
            member_id=member_id,
            caseworker_id=caseworker_id,
            details=clean,
            required_bedrooms=required_bedrooms(clean.household),
            max_affordable_rent_cents=_max_rent(clean, rules),
            opened_at=now,
        )

    def update(
        self, details: IntakeDetails, rules: IntakeRules, now: datetime
    ) -> dict[str, object]:
        """Replace the details; return the matching fields that changed (field → new value).

        The application publishes `IntakeUpdated` with exactly these when the intake is
        published (`is_published`). A change of personal data only returns an empty dict.
        After housing only personal data and notes may change.
        """
        if self.status not in _EDITABLE and self.status is not IntakeStatus.HOUSED:
            raise TransitionNotAllowed(f"a {self.status} intake can no longer be changed")
        errors = ErrorList()
        errors.extend(validate_details(details, rules, now.date(), previous=self.details))
        errors.raise_if_any()
        clean = normalise_details(details, rules.region)
        before = self.matching_view()
        after = self._view_of(clean, required_bedrooms(clean.household), _max_rent(clean, rules))
        changes = changed_matching_fields(before, after)
        if changes and self.status is IntakeStatus.HOUSED:
            raise TransitionNotAllowed(
                "the client is housed: only fields that matching does not use can change now"
            )
        self.details = clean
        self.required_bedrooms = after.required_bedrooms
        self.max_affordable_rent_cents = after.max_affordable_rent_cents
        return changes

    # ---- lifecycle ---------------------------------------------------------------------------

    def submit(self, now: datetime) -> None:
        """Send the intake to matching (IntakeSubmitted)."""
        # Only from draft: proposed → submitted is the way back to waiting, not a new submission.
        self._move(IntakeStatus.SUBMITTED, now, "submit", only_from=IntakeStatus.DRAFT)
        self.submitted_at = now

    def propose(self, match_id: str, now: datetime) -> None:
        """Matching proposed a home for this client (MatchProposed)."""
        if not match_id.strip():
            raise ValueError("match_id is required")
        self._move(IntakeStatus.PROPOSED, now, "record a proposal for")
        self.proposals.append(Proposal(match_id=match_id, proposed_at=now))

    def client_accepts(self, match_id: str, now: datetime) -> None:
        """The client says yes to the proposed home; the status stays `proposed`."""
        proposal = self._current_proposal(match_id, "record the client's answer for")
        self._replace_current(replace(proposal, client_answer=ClientAnswer(True, now)))

    def client_declines(
        self, match_id: str, reason: ClientDeclineReason, now: datetime, note: str = ""
    ) -> None:
        """The client says no, even after an earlier yes: the client keeps the last word.

        The client goes back to waiting with their original waiting time.
        """
        if len(note.strip()) > CLIENT_NOTE_MAX:
            raise ValueError(f"note: is longer than {CLIENT_NOTE_MAX} characters")
        proposal = self._current_proposal(match_id, "record the client's answer for")
        answer = ClientAnswer(False, now, reason, note.strip())
        self._end_current(
            replace(proposal, client_answer=answer), ProposalOutcome.CLIENT_DECLINED, now
        )
        self._move(IntakeStatus.SUBMITTED, now, "return to waiting")

    def return_to_waiting(self, match_id: str, outcome: ProposalOutcome, now: datetime) -> None:
        """The proposal ended without a tenancy (MatchDeclined, MatchExpired, home withdrawn)."""
        if outcome not in RETURN_TO_WAITING:
            allowed = ", ".join(sorted(RETURN_TO_WAITING))
            raise ValueError(f"outcome must be one of: {allowed}")
        proposal = self._current_proposal(match_id, "end a proposal for")
        self._end_current(proposal, outcome, now)
        self._move(IntakeStatus.SUBMITTED, now, "return to waiting")

    def mark_housed(self, match_id: str, tenancy_start: date, now: datetime) -> None:
        """The tenancy started (TenancyStarted); aftercare begins."""
        if self.status is IntakeStatus.WITHDRAWN and self.personal_data_erased_at is None:
            self._housed_after_withdrawal(match_id, tenancy_start, now)
            return
        # No recorded "yes" is required: a "no" would already have ended the proposal, and the
        # corporation may record the tenancy before the caseworker records the client's answer.
        proposal = self._current_proposal(match_id, "record a tenancy for")
        self._end_current(proposal, ProposalOutcome.HOUSED, now)
        self._move(IntakeStatus.HOUSED, now, "mark as housed")
        self.tenancy_start = tenancy_start

    def _housed_after_withdrawal(self, match_id: str, tenancy_start: date, now: datetime) -> None:
        """The signed tenancy overtook the withdrawal: the caseworker withdrew the intake while
        the corporation, not yet told, recorded the lease. The client lives in the home and
        aftercare has begun, so the fact wins: the case is housed after all; the withdrawal
        stays in the history (and its reason on the case) for the caseworker to see."""
        for index in range(len(self.proposals) - 1, -1, -1):
            if self.proposals[index].match_id == match_id:
                self.proposals[index] = replace(
                    self.proposals[index], outcome=ProposalOutcome.HOUSED, ended_at=now)
                break
        else:  # proposed after the withdrawal, so the proposal was ignored here as stale
            self.proposals.append(Proposal(match_id=match_id, proposed_at=now,
                                           outcome=ProposalOutcome.HOUSED, ended_at=now))
        self.history.append(StatusChange(self.status, IntakeStatus.HOUSED, now))
        self.status = IntakeStatus.HOUSED
        self.tenancy_start = tenancy_start
        self.ended_at = None  # the retention period starts when aftercare ends, as for anyone

    def close(self, now: datetime) -> None:
        """Aftercare ended (AftercareCompleted); the retention period starts now."""
        self._move(IntakeStatus.CLOSED, now, "close")
        self.ended_at = now

    def withdraw(self, reason: WithdrawalReason, now: datetime) -> None:
        """Withdraw before the client is housed; releases any proposal the intake held."""
        if self.status is IntakeStatus.PROPOSED:
            self._end_current(self.proposals[-1], ProposalOutcome.INTAKE_WITHDRAWN, now)
        self._move(IntakeStatus.WITHDRAWN, now, "withdraw")
        self.withdrawal_reason = reason
        self.ended_at = now

    # ---- reading -----------------------------------------------------------------------------

    @property
    def is_published(self) -> bool:
        """True once matching knows the intake and is told about changes."""
        return self.status in {IntakeStatus.SUBMITTED, IntakeStatus.PROPOSED}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def current_proposal(self) -> Proposal | None:
        return self.proposals[-1] if self.status is IntakeStatus.PROPOSED else None

    def matching_view(self) -> MatchingView:
        return self._view_of(self.details, self.required_bedrooms, self.max_affordable_rent_cents)

    # ---- retention ---------------------------------------------------------------------------

    def erasure_due(self, now: datetime, period_months: int = DEFAULT_RETENTION_MONTHS) -> bool:
        """True when the case ended at least `period_months` ago and is not yet erased."""
        if self.ended_at is None or self.personal_data_erased_at is not None:
            return False
        return erasure_due(self.ended_at, now, period_months)

    def erase_personal_data(self, now: datetime) -> None:
        """Blank everything that can identify the client; keep the statistical record.

        Kept: client_ref, member, status, dates, household size, the derived figures and the risk
        categories. Blanked: name, date of birth, contact, BSN, children's ages, notes, the free
        texts of risks (mitigation, carried by) and support (provider), and the client's notes on
        proposals.
        """
        if self.is_open:
            raise TransitionNotAllowed(
                f"a {self.status} intake is still open; personal data is erased only after the "
                "case is closed or withdrawn"
            )
        household = replace(self.details.household, children_ages=())
        support = replace(self.details.support, provider=None)
        self.details = replace(
            self.details,
            client=PersonalData.erased(),
            household=household,
            support=support,
            risks=erased_risks(self.details.risks),
            notes="",
        )
        self.proposals = [_erased_proposal(proposal) for proposal in self.proposals]
        self.personal_data_erased_at = now

    # ---- internals ---------------------------------------------------------------------------

    def _view_of(self, details: IntakeDetails, bedrooms: int, max_rent: int) -> MatchingView:
        identity = CaseIdentity(self.case_id, self.client_ref, self.member_id, self.submitted_at)
        return build_matching_view(identity, details, bedrooms, max_rent)

    def _move(
        self,
        target: IntakeStatus,
        now: datetime,
        action: str,
        only_from: IntakeStatus | None = None,
    ) -> None:
        sources = _sources_of(target) if only_from is None else [only_from]
        if self.status not in sources or target not in ALLOWED_TRANSITIONS[self.status]:
            raise TransitionNotAllowed(
                f"cannot {action} an intake that is {self.status}; "
                f"it must be {' or '.join(sources)} to become {target}"
            )
        self.history.append(StatusChange(self.status, target, now))
        self.status = target

    def _current_proposal(self, match_id: str, action: str) -> Proposal:
        current = self.current_proposal
        if current is None:
            raise TransitionNotAllowed(
                f"cannot {action} a {self.status} intake: no home is proposed"
            )
        if current.match_id != match_id:
            raise TransitionNotAllowed(
                f"cannot {action} proposal {match_id}: the current proposal is {current.match_id}"
            )
        return current

    def _replace_current(self, proposal: Proposal) -> None:
        self.proposals[-1] = proposal

    def _end_current(self, proposal: Proposal, outcome: ProposalOutcome, now: datetime) -> None:
        self._replace_current(replace(proposal, outcome=outcome, ended_at=now))


def _max_rent(details: IntakeDetails, rules: IntakeRules) -> int:
    return max_affordable_rent_cents(
        details.household.size, details.max_rent_override_cents, rules.rent_limits
    )


def _check_identity(
    errors: ErrorList, case_id: str, client_ref: str, member_id: str, caseworker_id: str
) -> None:
    if not case_id.strip():
        errors.add("case_id", "is required")
    if not is_client_ref(client_ref):
        # Catches a raw BSN or name passed by mistake before it could be published.
        errors.add("client_ref", "must be a pseudonymous reference made by client_ref()")
    if not member_id.strip():
        errors.add("member_id", "is required (it comes from the caseworker's token)")
    if not caseworker_id.strip():
        errors.add("caseworker_id", "is required (it comes from the caseworker's token)")


def _sources_of(target: IntakeStatus) -> list[IntakeStatus]:
    return [status for status, targets in ALLOWED_TRANSITIONS.items() if target in targets]


def _erased_proposal(proposal: Proposal) -> Proposal:
    if proposal.client_answer is None:
        return proposal
    return replace(proposal, client_answer=replace(proposal.client_answer, note=""))
