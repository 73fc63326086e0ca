"""The Raft log: durable entries in Storage plus an in-memory unstable tail.

New entries live in the unstable tail until the caller confirms (via ``advance``) that it has
persisted them. A new leader may overwrite part of the log that is already in storage; the
unstable tail then starts below ``storage.last_index()`` and *shadows* the stale stored
entries until the caller persists the replacement.
"""

from __future__ import annotations

from .storage import Storage, limit_size
from .types import Entry


class RaftLog:
    def __init__(self, storage: Storage, committed: int, applied: int) -> None:
        self.storage = storage
        self.unstable: list[Entry] = []
        self.offset = storage.last_index() + 1  # index of unstable[0]
        self.committed = committed
        self.applied = applied

    # ---- reading -------------------------------------------------------------------------

    def first_index(self) -> int:
        return self.storage.first_index()

    def last_index(self) -> int:
        if self.unstable:
            return self.offset + len(self.unstable) - 1
        return self.storage.last_index()

    def last_term(self) -> int:
        t = self.term(self.last_index())
        assert t is not None
        return t

    def term(self, index: int) -> int | None:
        """Term of ``index``, or None when the entry does not exist (or was compacted)."""
        if index >= self.offset:
            pos = index - self.offset
            return self.unstable[pos].term if pos < len(self.unstable) else None
        if index < self.storage.first_index() - 1 or index > self.storage.last_index():
            return None
        return self.storage.term(index)

    def match_term(self, index: int, term: int) -> bool:
        return self.term(index) == term

    def entries(
        self, lo: int, hi: int, max_count: int | None = None, max_size: int | None = None
    ) -> list[Entry]:
        """Entries ``[lo, hi)`` from storage and the tail, cut to ``max_count`` entries and
        ``max_size`` bytes of data (but never to nothing)."""
        if max_count is not None and hi - lo > max_count:
            hi = lo + max_count
        if lo >= hi:
            return []
        out: list[Entry] = []
        if lo < self.offset:
            out = self.storage.entries(lo, min(hi, self.offset), max_size)
            if len(out) < min(hi, self.offset) - lo:
                return out  # the size cap was hit inside storage
        if hi > self.offset:
            out = out + self.unstable[max(lo, self.offset) - self.offset : hi - self.offset]
        return limit_size(out, max_size)

    def is_up_to_date(self, last_index: int, last_term: int) -> bool:
        """Raft §5.4.1: only vote for a candidate whose log is at least as up to date."""
        my_term = self.last_term()
        return last_term > my_term or (last_term == my_term and last_index >= self.last_index())

    def find_conflict_by_term(self, index: int, term: int) -> tuple[int, int]:
        """The largest ``(i, term(i))`` with ``i <= index`` and ``term(i) <= term``.

        Both leader and follower use this to skip a whole term of a divergent log per round
        trip: no entry above that point can match an entry of ``term`` at ``index``.
        """
        index = min(index, self.last_index())
        while index > 0:
            t = self.term(index)
            if t is None:  # compacted: the snapshot point is known to match
                break
            if t <= term:
                return index, t
            index -= 1
        return index, self.term(index) or 0

    def committed_entries(self, max_size: int | None = None) -> list[Entry]:
        """Committed entries not yet handed to the state machine."""
        lo, hi = self.applied + 1, self.committed + 1
        if lo >= hi:
            return []
        return self.entries(lo, hi, max_size=max_size)

    # ---- writing -------------------------------------------------------------------------

    def append(self, entries: list[Entry] | tuple[Entry, ...]) -> None:
        """Append ``entries``, discarding any existing entries from ``entries[0].index`` on."""
        if not entries:
            return
        after = entries[0].index
        if after <= self.committed:
            raise AssertionError(f"appending at {after} would rewrite committed entries")
        if after == self.offset + len(self.unstable):
            self.unstable.extend(entries)
        elif after <= self.offset:
            # Overwrites part of what is in storage: shadow it until persisted.
            self.offset = after
            self.unstable = list(entries)
        else:
            del self.unstable[after - self.offset :]
            self.unstable.extend(entries)

    def maybe_append(
        self, prev_index: int, prev_term: int, entries: tuple[Entry, ...]
    ) -> int | None:
        """Follower side of AppendEntries: None if ``prev`` does not match, otherwise the index
        of the last entry the message vouches for. Entries already present are kept, so a
        delayed, shorter message never truncates a longer matching log."""
        if not self.match_term(prev_index, prev_term):
            return None
        for n, e in enumerate(entries):
            if self.term(e.index) != e.term:
                if e.index <= self.committed:
                    return None  # would rewrite committed history: not from a real leader
                self.append(entries[n:])
                break
        return prev_index + len(entries)

    def commit_to(self, index: int) -> bool:
        if index > self.committed:
            self.committed = min(index, self.last_index())
            return True
        return False

    def stable_to(self, index: int, term: int) -> None:
        """The caller persisted entries up to ``index``; forget them from the tail unless the
        tail was rewritten since the Ready was taken (then the term no longer matches)."""
        pos = index - self.offset
        if 0 <= pos < len(self.unstable) and self.unstable[pos].term == term:
            del self.unstable[: pos + 1]
            self.offset = index + 1

    def applied_to(self, index: int) -> None:
        if index > self.applied:
            self.applied = min(index, self.committed)
