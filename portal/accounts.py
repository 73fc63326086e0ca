"""Candidate accounts: the interface the pages use, and where accounts really live (the chain).

An account must work on every node (a candidate logs in while one node is down), so it cannot
live in one node's database: registration and password changes are chain transactions,
``account.register`` and ``account.password`` (``certificate.accounts``), signed by the node
that accepted the form and validated by every node (the activation code must match the digest
the issuer stored with that certificate; one account per MyKad number). ``ChainAccountStore``
submits them through ``NodeService.submit(wait=True)``, so a candidate who sees "registered"
can log in on any node at once, and reads accounts from the chain state.

The pages depend only on the ``AccountStore`` protocol, which tests implement in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from certificate.accounts import ACCOUNT_PASSWORD, ACCOUNT_REGISTER
from certificate.activation import check_activation_code
from certificate.tx import Transaction
from node.service import NodeService, Unavailable


@dataclass(frozen=True)
class Account:
    ic: str
    email: str
    password_hash: str
    cert_no: str


class AccountError(Exception):
    """A refusal the candidate can act on; ``code`` is a key of the translation table."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class AccountStore(Protocol):
    @property
    def available(self) -> bool:
        """False while the chain cannot hold accounts; the pages then say so instead of failing."""

    def certificate_for_code(self, ic: str, activation_code: str) -> str | None:
        """The cert_no of ``ic``'s certificate whose activation code this is, if any."""

    async def register(self, ic: str, email: str, password_hash: str, cert_no: str,
                       activation_code: str) -> None:
        """Create the account or raise AccountError (exists, bad_code, unavailable, rejected)."""

    def get(self, ic: str) -> Account | None: ...

    async def set_password(self, ic: str, password_hash: str) -> None: ...


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ChainAccountStore:
    """Accounts as chain transactions, replicated to every node (see the module docstring)."""

    available = True

    def __init__(self, service: NodeService) -> None:
        self.service = service

    def certificate_for_code(self, ic: str, activation_code: str) -> str | None:
        chain_id = self.service.genesis.chain_id
        for cv in self.service.holder_certificates(ic):
            digest = cv.entry.get("activation")
            cert_no = str(cv.record["cert_no"])
            if isinstance(digest, bytes) and check_activation_code(chain_id, cert_no, activation_code, digest):
                return cert_no
        return None

    async def _submit(self, tx_type: str, body: dict[str, Any]) -> None:
        svc = self.service
        tx = Transaction(tx_type, body).signed_by(svc.engine.key, svc.genesis.chain_id)
        [res] = await svc.submit([tx.encode()], wait=True)  # Unavailable: the page says "try another node"
        if res.status < 300:
            return
        if res.code == "account.exists":
            raise AccountError("account.exists")
        if res.code == "account.activation":
            raise AccountError("account.bad_code")
        if res.status == 503:
            raise Unavailable(res.message or "not committed in time")
        raise AccountError("account.rejected", res.message or res.code or "refused")

    async def register(self, ic: str, email: str, password_hash: str, cert_no: str,
                       activation_code: str) -> None:
        await self._submit(ACCOUNT_REGISTER, {
            "ic": ic, "email": email, "password_hash": password_hash, "cert_no": cert_no,
            "activation_code": activation_code, "registered_at": _now()})

    def get(self, ic: str) -> Account | None:
        entry = self.service.engine.state.account(ic)
        if entry is None:
            return None
        return Account(ic, str(entry["email"]), str(entry["password_hash"]), str(entry["cert_no"]))

    async def set_password(self, ic: str, password_hash: str) -> None:
        await self._submit(ACCOUNT_PASSWORD, {"ic": ic, "password_hash": password_hash, "changed_at": _now()})
