"""Candidate portal accounts as chain transactions, so every node can log a candidate in.

An account is replicated like everything else (a candidate must still be able to log in when
one agency's node is down), so its creation is a transaction: ``account.register`` carries the
MyKad number, email, an argon2id password hash and the activation code of one of the holder's
certificates; ``account.password`` replaces the hash. Both are signed by the key of the node
that accepted the form (a genesis member); every node checks the activation code against the
digest the issuer stored with that certificate, and allows one account per MyKad number.

Publishing the used activation code is harmless: it only ever opens the first account of that
holder, and that account then exists. The chain is shared by the agencies only; email and the
password hash (argon2id, salted) are as exposed as they would be in one agency's database.
"""

from __future__ import annotations

import re
from typing import Any, Final

from certificate.activation import normalise_activation_code
from certificate.certno import normalise_cert_no
from certificate.errors import ValidationError
from certificate.mykad import parse_mykad
from certificate.record import parse_timestamp

ACCOUNT_REGISTER: Final = "account.register"
ACCOUNT_PASSWORD: Final = "account.password"
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+")
_ARGON2ID = re.compile(r"\$argon2id\$v=19\$m=\d{1,8},t=\d{1,3},p=\d{1,3}\$[A-Za-z0-9+/]{16,64}\$[A-Za-z0-9+/]{16,128}")


def normalise_email(text: str) -> str:
    email = text.strip()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ValidationError("account.email", "enter a valid email address", field="email")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _fields(body: dict[str, Any], names: set[str]) -> None:
    if set(body) != names:
        raise ValidationError("tx.body", f"an account transaction has exactly: {', '.join(sorted(names))}")


def _hash(value: Any) -> None:
    if not isinstance(value, str) or not _ARGON2ID.fullmatch(value):
        raise ValidationError("tx.body", "password_hash must be an argon2id hash string", field="password_hash")


def _ic(value: Any) -> None:
    if not isinstance(value, str) or parse_mykad(value).number != value:
        raise ValidationError("tx.body", "ic must be a normalised MyKad number", field="ic")


def check_register(body: dict[str, Any]) -> None:
    _fields(body, {"ic", "email", "password_hash", "cert_no", "activation_code", "registered_at"})
    _ic(body["ic"])
    if not isinstance(body["email"], str) or normalise_email(body["email"]) != body["email"]:
        raise ValidationError("tx.body", "email is not in normal form", field="email")
    _hash(body["password_hash"])
    if not isinstance(body["cert_no"], str) or normalise_cert_no(body["cert_no"]) != body["cert_no"]:
        raise ValidationError("tx.body", "cert_no is not a normalised certificate number", field="cert_no")
    code = body["activation_code"]
    if not isinstance(code, str) or normalise_activation_code(code) != code:
        raise ValidationError("tx.body", "activation_code is not in normal form", field="activation_code")
    parse_timestamp(body["registered_at"], "registered_at")


def check_password(body: dict[str, Any]) -> None:
    _fields(body, {"ic", "password_hash", "changed_at"})
    _ic(body["ic"])
    _hash(body["password_hash"])
    parse_timestamp(body["changed_at"], "changed_at")
