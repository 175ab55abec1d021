"""The domain's enums speak the wire vocabulary of shared/events, so adapters map 1:1."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, get_args

import pytest

from services.matching.domain.candidate import (
    AccessibilityNeed,
    ClusterPreference,
    RiskCategory,
    Urgency,
)
from services.matching.domain.decline_reasons import DecidedBy, DeclineReason
from services.matching.domain.home import AccessibilityFeature, ContractKind
from services.matching.domain.proposal import CancelReason
from shared.events import common, matching


def values(enum: type[StrEnum]) -> set[str]:
    return {member.value for member in enum}


@pytest.mark.parametrize(
    ("enum", "wire"),
    [
        (AccessibilityNeed, common.Accessibility),
        (AccessibilityFeature, common.Accessibility),
        (ClusterPreference, common.ClusterPreference),
        (Urgency, common.Urgency),
        (RiskCategory, common.RiskCategory),
        (DeclineReason, common.DeclineReason),
    ],
)
def test_domain_enum_values_equal_the_shared_wire_vocabulary(
    enum: type[StrEnum], wire: Any
) -> None:
    assert values(enum) == set(get_args(wire))


def test_contract_kinds_decided_by_and_cancel_causes_equal_the_event_fields() -> None:
    contract_type = common.Contract.model_fields["type"].annotation
    assert values(ContractKind) == set(get_args(contract_type))
    decided_by = matching.MatchDeclined.model_fields["decided_by"].annotation
    assert values(DecidedBy) == set(get_args(decided_by))
    cause = matching.MatchCancelled.model_fields["cause"].annotation
    assert values(CancelReason) == set(get_args(cause))
