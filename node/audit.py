"""``verify-chain``: an offline audit of one node's data directory.

Walks every block from height 1, checking the hash chain, the proposer's signature, the Merkle
root and every transaction signature, re-applying each block to a fresh, empty state, and finally
compares the rebuilt state with the stored one key by key (per-height read indexes that an
older data directory has not backfilled yet may be missing; those present must match). It trusts
nothing on disk but the genesis file, and reports the first height where anything disagrees.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from node.chain import keys as K
from node.chain.state import BlockRejected, ChainState
from node.chain.view import unpack
from node.config import NodeConfig
from node.daemon import GENESIS_KEY, StartupError, open_parts
from node.storage.db import CorruptionError, StorageError, Store
from node.storage.raftlog import RaftLog

_IGNORED = (b"R:", K.APPLIED, GENESIS_KEY)


@dataclass(frozen=True)
class AuditResult:
    ok: bool
    height: int
    message: str
    #: exit code: 0 verified, 1 the data is bad (``height`` is the first bad height),
    #: 2 the audit could not run (bad config, key or genesis, data directory missing or in use)
    code: int = 1

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else self.code


def audit(cfg: NodeConfig) -> AuditResult:
    try:
        parts = open_parts(cfg, create=False)
    except StartupError as exc:
        msg = str(exc)
        if "in use" in msg:
            msg += "; stop the node before auditing its data"
        return AuditResult(False, 0, msg, code=1 if exc.corrupt else 2)
    store, genesis = parts.store, parts.genesis
    tmp = Path(tempfile.mkdtemp(prefix="verify-chain-"))
    try:
        try:
            raftlog = RaftLog(store)
            stored = ChainState(store, genesis, raftlog.entry_data)
        except (CorruptionError, StorageError) as exc:
            return AuditResult(False, 0, f"cannot read the stored state: {exc}")
        fresh_store = Store(tmp / "state")
        fresh = ChainState(fresh_store, genesis, raftlog.entry_data)
        top = stored.head.height
        for height in range(1, top + 1):
            try:
                idx = unpack(store.get(K.block_loc(height)))
                if idx is None:
                    return AuditResult(False, height, f"height {height}: block is missing")
                data = raftlog.entry_data(idx)
                fresh.apply_block(data, idx)
            except (CorruptionError, IndexError) as exc:
                return AuditResult(False, height, f"height {height}: stored block is damaged: {exc}")
            except BlockRejected as exc:
                return AuditResult(False, height, f"height {height}: {exc}")
        if fresh.head != stored.head:
            return AuditResult(False, top, f"height {top}: stored head does not match the blocks")
        try:
            mine = {k: v for k, v in store.items(b"") if not k.startswith(_IGNORED)}
        except CorruptionError as exc:
            return AuditResult(False, top, f"stored state is damaged: {exc}")
        # A data directory applied before the read indexes existed may lack some of them (they
        # are backfilled on first read); every one it has must be exactly what re-applying
        # writes, and every other key must match both ways.
        theirs = {k: v for k, v in fresh_store.items(b"")
                  if not k.startswith(_IGNORED) and (k in mine or not k.startswith(K.READ_INDEX_PREFIXES))}
        if mine != theirs:
            diff = sorted(set(mine) ^ set(theirs) | {k for k in mine if k in theirs and mine[k] != theirs[k]})
            return AuditResult(False, top, f"stored state differs from the state rebuilt from blocks "
                                           f"({len(diff)} keys, first {diff[0][:40]!r})")
        fresh_store.close()
        return AuditResult(True, top, f"chain ok: {top} blocks, hash chain, signatures, Merkle roots "
                                      f"and state verified")
    finally:
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)
