"""The pseudonymous client reference (`client_ref`) that leaves the intake service.

Other services and the coordinator only ever see `client_ref`. It must be the same for the same
person, so that a second intake and a return to homelessness can be recognised, and it must not
lead back to the person.

Why a key: there are fewer than a billion valid BSNs, and only about 90 million pass the
elfproef. An unkeyed SHA-256 of a BSN is reversed by hashing all of them, which takes minutes on a
laptop. An HMAC with a secret key (at least 16 random bytes, held by the intake service only)
cannot be recomputed without the key, so a leaked `client_ref` reveals nothing.
Rotating the key changes every reference, which breaks the link to earlier cases; do it only
with a migration that recomputes the stored references.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date

from services.intake.domain.bsn import bsn_problem, normalise_bsn

KEY_MIN_BYTES = 16
PREFIX = "cr_"
_HEX_CHARS = 32  # 128 bits: collisions are negligible even for millions of clients
_CLIENT_REF = re.compile(rf"^{PREFIX}[0-9a-f]{{{_HEX_CHARS}}}$")


def client_ref(key: bytes, bsn: str | None, stable_id: str) -> str:
    """`cr_` + 32 hex digits of HMAC-SHA256(key, normalised BSN, or else the stable identifier).

    The BSN wins when present, so the same person gets the same reference in every member
    organisation. Without a BSN the caller's `stable_id` is used, e.g. `fallback_identifier`.
    The two inputs are tagged ("bsn:", "id:") so a stable identifier that happens to look like a
    BSN cannot collide with one.
    """
    if len(key) < KEY_MIN_BYTES:
        raise ValueError(f"the client_ref key must be at least {KEY_MIN_BYTES} bytes")
    message = _message(bsn, stable_id)
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:_HEX_CHARS]


def is_client_ref(value: str) -> bool:
    """True when `value` looks like a client_ref; catches a raw BSN passed by mistake."""
    return _CLIENT_REF.match(value) is not None


def fallback_identifier(name: str, date_of_birth: date) -> str:
    """A stable identifier for a client without a BSN: normalised name plus date of birth.

    Case, accents and spacing are ignored so "José  de Vries" and "jose de vries" match. Two
    different people with the same name and birthday would share a reference; the duplicate check
    then asks the caseworker to look, which is the safe side to err on.
    """
    without_accents = unicodedata.normalize("NFKD", name)
    letters = "".join(char for char in without_accents if not unicodedata.combining(char))
    return f"{' '.join(letters.casefold().split())}|{date_of_birth.isoformat()}"


def _message(bsn: str | None, stable_id: str) -> str:
    if bsn is not None and bsn.strip():
        if bsn_problem(bsn) is not None:
            # No value in the message: it would put the (wrong) BSN in a log.
            raise ValueError("client_ref needs a valid BSN; validate the BSN first")
        return "bsn:" + normalise_bsn(bsn)
    if not stable_id.strip():
        raise ValueError("client_ref needs a BSN or a non-empty stable identifier")
    return "id:" + stable_id.strip()
