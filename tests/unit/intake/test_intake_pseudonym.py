"""The pseudonymous client reference: keyed HMAC-SHA256 of the BSN or a stable identifier."""

import hashlib
import hmac
import re
from datetime import date

import pytest

from services.intake.domain.pseudonym import client_ref, fallback_identifier, is_client_ref

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"


def test_the_same_person_gets_the_same_reference() -> None:
    assert client_ref(KEY, "111222333", "a") == client_ref(KEY, "111 222.333", "b")


def test_the_reference_is_cr_and_32_hex_digits() -> None:
    ref = client_ref(KEY, "111222333", "")
    assert re.fullmatch(r"cr_[0-9a-f]{32}", ref)
    assert is_client_ref(ref)


def test_the_reference_is_the_keyed_hmac_of_the_tagged_bsn() -> None:
    expected = hmac.new(KEY, b"bsn:111222333", hashlib.sha256).hexdigest()[:32]
    assert client_ref(KEY, "111222333", "") == "cr_" + expected


def test_another_key_gives_another_reference() -> None:
    assert client_ref(KEY, "111222333", "") != client_ref(OTHER_KEY, "111222333", "")


def test_an_unkeyed_hash_of_the_bsn_is_not_the_reference() -> None:
    unkeyed = hashlib.sha256(b"111222333").hexdigest()
    assert unkeyed[:32] not in client_ref(KEY, "111222333", "")


def test_without_bsn_the_stable_identifier_is_used() -> None:
    first = client_ref(KEY, None, "m01:client-42")
    assert first == client_ref(KEY, "  ", "m01:client-42")
    assert first != client_ref(KEY, None, "m01:client-43")


def test_a_stable_identifier_that_looks_like_a_bsn_does_not_collide_with_that_bsn() -> None:
    assert client_ref(KEY, None, "111222333") != client_ref(KEY, "111222333", "")


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        client_ref(b"short", "111222333", "")


def test_an_invalid_bsn_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as raised:
        client_ref(KEY, "123456789", "")
    assert "123456789" not in str(raised.value)


def test_neither_bsn_nor_identifier_is_refused() -> None:
    with pytest.raises(ValueError):
        client_ref(KEY, None, "  ")


def test_a_raw_bsn_is_not_a_client_ref() -> None:
    assert not is_client_ref("111222333")
    assert not is_client_ref("cr_" + "0" * 31)


def test_fallback_identifier_ignores_case_accents_and_spacing() -> None:
    born = date(1980, 1, 2)
    assert fallback_identifier("José  de Vries", born) == fallback_identifier("jose de vries", born)
    assert fallback_identifier("Jose de Vries", born) != fallback_identifier(
        "Jose de Vries", date(1980, 1, 3)
    )
