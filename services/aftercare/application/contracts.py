"""The tenancy contract as matching describes it → the domain's contract (for omklap)."""

from __future__ import annotations

from services.aftercare.domain.outcomes import Contract, ContractType

# DESIGN.md: an intermediary contract converts to the tenant's own name "after a year";
# matching's own default is the same. Used only when TenancyStarted leaves the term out.
DEFAULT_OMKLAP_MONTHS = 12


def contract_from_terms(kind: str, omklap_after_months: int | None) -> Contract:
    """Only an intermediary contract has an omklap term, and then always one."""
    contract_type = ContractType(kind)
    if contract_type is ContractType.INTERMEDIARY:
        return Contract(contract_type, omklap_after_months or DEFAULT_OMKLAP_MONTHS)
    return Contract(contract_type)
