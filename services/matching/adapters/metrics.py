"""Matching's Prometheus metrics (module-level, one registry per process).

Durations are business time (shared.metrics.business_histogram). Labels are bounded sets only:
member_id, corporation_id, municipality, reason — never a case, match or home id, nor a
client reference.
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import Counter, Gauge

from shared.metrics import business_histogram

INTAKE_TO_FIRST_PROPOSAL = business_histogram(
    "transferpunt_matching_intake_to_first_proposal_seconds",
    "Business time from an intake's submission to its first proposal",
    ["member_id"],
)
PROPOSAL_TO_DECISION = business_histogram(
    "transferpunt_matching_proposal_to_decision_seconds",
    "Business time from a proposal to the decision on it (reason: accepted, a decline "
    "reason, or expired)",
    ["corporation_id", "reason"],
)
INTAKE_TO_TENANCY = business_histogram(
    "transferpunt_matching_intake_to_tenancy_start_seconds",
    "Business time from an intake's submission to the tenancy start (application to key)",
    ["member_id", "municipality"],
)
PROPOSALS = Counter(
    "transferpunt_matching_proposals_total", "Proposals made",
    ["member_id", "corporation_id", "municipality"],
)
DECLINES = Counter(
    "transferpunt_matching_declines_total", "Proposals declined, by coded reason",
    ["corporation_id", "reason"],
)
EXPIRIES = Counter(
    "transferpunt_matching_expiries_total", "Proposals that expired undecided",
    ["corporation_id"],
)
TENANCIES = Counter(
    "transferpunt_matching_tenancies_total", "Tenancies started",
    ["member_id", "corporation_id", "municipality"],
)
WAITING_CANDIDATES = Gauge(
    "transferpunt_matching_waiting_candidates", "Candidates waiting for a home, per member",
    ["member_id"],
)
EMAILS = Counter(
    "transferpunt_matching_emails_total", "E-mail notifications, by outcome",
    ["outcome"],
)
DECISIONS_NOT_DECLINES = {"accepted", "expired"}


class PrometheusThroughput:
    """The application's Throughput port, in Prometheus."""

    def proposal_made(self, *, member_id: str, corporation_id: str, municipality: str,
                      first_wait: timedelta | None) -> None:
        PROPOSALS.labels(member_id, corporation_id, municipality).inc()
        if first_wait is not None:
            INTAKE_TO_FIRST_PROPOSAL.labels(member_id).observe(first_wait.total_seconds())

    def proposal_decided(self, *, corporation_id: str, reason: str, took: timedelta) -> None:
        PROPOSAL_TO_DECISION.labels(corporation_id, reason).observe(took.total_seconds())
        if reason == "expired":
            EXPIRIES.labels(corporation_id).inc()
        elif reason not in DECISIONS_NOT_DECLINES:
            DECLINES.labels(corporation_id, reason).inc()

    def tenancy_started(self, *, member_id: str, corporation_id: str, municipality: str,
                        application_to_key: timedelta) -> None:
        TENANCIES.labels(member_id, corporation_id, municipality).inc()
        INTAKE_TO_TENANCY.labels(member_id, municipality).observe(
            max(application_to_key.total_seconds(), 0.0))


_members_seen: set[str] = set()


def set_waiting(counts: dict[str, int]) -> None:
    """Waiting candidates per member; a member with nobody waiting any more drops to zero."""
    _members_seen.update(counts)
    for member_id in _members_seen:
        WAITING_CANDIDATES.labels(member_id).set(counts.get(member_id, 0))
