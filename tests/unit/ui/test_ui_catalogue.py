"""The one message catalogue: every text a page asks for exists in Dutch and English, and
every value the APIs send has words."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import pytest

from services.aftercare.domain.attention import AttentionTier
from services.aftercare.domain.checkin import CheckInStatus, LifeDomain
from services.aftercare.domain.outcomes import Outcome
from services.aftercare.domain.signals import SignalKind
from services.contingent.adapters.http.schemas import LedgerKind, Method
from services.intake.domain.details import (
    AccessibilityNeed,
    ClusterPreference,
    Perspective,
    Urgency,
)
from services.intake.domain.intake import (
    ClientDeclineReason,
    IntakeStatus,
    ProposalOutcome,
    WithdrawalReason,
)
from services.intake.domain.risks import RiskCategory
from services.matching.domain.proposal import ProposalStatus
from shared.auth import ROLES
from shared.events.common import Accessibility, Contract, DeclineReason
from shared.ui.i18n import Translator, catalogue
from shared.ui.sitemap import SITEMAP

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = [*ROOT.glob("shared/ui/templates/**/*.html"),
             *ROOT.glob("services/*/adapters/http/templates/**/*.html")]
CODE = [*(p for p in ROOT.glob("shared/ui/*.py") if p.name != "i18n.py"),  # i18n: the docs
        *ROOT.glob("services/*/adapters/http/ui.py")]
ASKED = re.compile(r"""\bt(?:\.(plural|problem))?\(\s*["']([a-z_][a-z0-9_.]+)["']""")
# Keys built from a prefix and a value in a template: each value it can take.
BUILT = {
    "service.": ("intake", "matching", "contingent", "aftercare"),
    "start.intro.": ("intake", "matching", "contingent", "aftercare"),
    "signin.role_about.": ROLES,
    "aftercare.signals.intro.": ("corporation", "supporter", "coordinator"),
    "aftercare.score.": ("1", "2", "3", "4", "5"),
    "throughput.state.": ("empty", "missing", "unreachable"),
}
MESSAGES = catalogue().messages


def asked_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*TEMPLATES, *CODE]:
        for kind, key in ASKED.findall(path.read_text(encoding="utf-8")):
            if key.endswith("."):  # a prefix: its values are listed in BUILT
                assert key in BUILT, f"{path.name}: list the values of {key!r} in BUILT"
                continue
            keys |= {f"{key}.one", f"{key}.other"} if kind == "plural" else {key}
    for prefix, values in BUILT.items():
        keys |= {prefix + value for value in values}
    for links in SITEMAP.values():
        keys |= {k for link in links for k in (link.key, link.key + ".about")}
    return keys


def test_every_key_a_page_asks_for_is_in_the_catalogue_in_both_languages() -> None:
    keys = asked_keys()
    assert len(keys) > 300  # the scan found the templates
    missing = sorted(k for k in keys if k not in MESSAGES)
    assert not missing, f"not in shared/ui/messages.json: {missing}"
    untranslated = sorted(k for k, v in MESSAGES.items() if not (v.get("nl") and v.get("en")))
    assert not untranslated, f"missing a language: {untranslated}"


def test_placeholders_are_the_same_in_both_languages() -> None:
    def names(text: str) -> set[str]:
        return set(re.findall(r"\{(\w*)\}", text))

    differ = [k for k, v in MESSAGES.items() if names(v["nl"]) != names(v["en"])]
    assert not differ, differ


def _values(kind: Any) -> list[str]:
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [str(member.value) if not isinstance(member.value, int) else member.name.lower()
                for member in kind]
    return [str(v) for v in get_args(kind)]


@pytest.mark.parametrize(("label", "values"), [
    ("role", list(ROLES)),
    ("intake_status", _values(IntakeStatus)),
    ("urgency", _values(Urgency)),
    ("accessibility", sorted({*_values(AccessibilityNeed), *_values(Accessibility)})),
    ("cluster", _values(ClusterPreference)),
    ("perspective", _values(Perspective)),
    ("risk", _values(RiskCategory)),
    ("proposal_outcome", _values(ProposalOutcome)),
    ("client_decline", _values(ClientDeclineReason)),
    ("withdrawal", _values(WithdrawalReason)),
    ("match_status", _values(ProposalStatus)),
    ("decline_reason", _values(DeclineReason)),
    ("contract", _values(Contract.model_fields["type"].annotation)),
    ("attention", _values(AttentionTier)),
    ("checkin_status", _values(CheckInStatus)),
    ("outcome", _values(Outcome)),
    ("life_domain", _values(LifeDomain)),
    ("signal_kind", _values(SignalKind)),
    ("method", _values(Method)),
    ("ledger_kind", _values(LedgerKind)),
])
def test_every_value_the_apis_send_has_words(label: str, values: list[str]) -> None:
    missing = [v for v in values if f"enum.{label}.{v}" not in MESSAGES]
    assert not missing, f"enum.{label}: {missing}"


def test_common_api_messages_read_dutch_and_the_rest_stays_marked_english() -> None:
    t = Translator("nl")
    assert t.api_message("Field required").text == "Dit veld is verplicht."
    assert t.api_message("Input should be greater than or equal to 1").text == "Vul 1 of meer in."
    unknown = t.api_message("Value error, the moon is in the wrong phase")
    assert (unknown.text, unknown.lang) == ("the moon is in the wrong phase", "en")
    assert Translator("en").api_message("Field required").text == "Field required"


def test_plural_and_label_choose_the_right_words() -> None:
    t = Translator("nl")
    assert t.plural("common.days", 1) == "1 dag"
    assert t.plural("common.days", 3) == "3 dagen"
    assert t.label("intake_status", "submitted") == "wacht op woning"
    assert Translator("en").label("intake_status", "submitted") == "waiting for a home"
    assert t.label("intake_status", "something_new") == "something_new"
