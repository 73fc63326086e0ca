"""Errors that explain themselves to the person who caused them.

Every refusal carries a stable machine ``code`` (the portal and CLI translate by code, so the
Malay and English wording live in one place) and an English ``message`` with the specifics.
"""

from __future__ import annotations

from typing import Any


class ValidationError(ValueError):
    """Input that breaks a domain rule. Never a bug: always the caller's data."""

    def __init__(self, code: str, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.params = params

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class SignatureError(ValueError):
    """A signature that does not verify, or a key that may not sign this object."""
