"""Reading the fields of a certificate record: kinds and levels, methods, dates and times, centre
codes, JPPS references and NOSS codes, each from loose input into its one normal form, or a
``ValidationError`` naming the field. ``certificate.record`` builds records from these."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Final

from certificate.errors import ValidationError
from certificate.noss import parse_noss

KINDS: Final = ("SKM", "DKM", "DLKM", "PC")
METHODS: Final = ("SLaPB", "PPT", "SLDN")
LEVELS_BY_KIND: Final[dict[str, tuple[int, ...]]] = {
    "SKM": (1, 2, 3),
    "DKM": (4,),
    "DLKM": (5,),
    "PC": (1, 2, 3, 4, 5),
}
CENTRE_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")
_JPPS_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./:()_-]{0,63}")
# Explicit [0-9], not \d: \d also matches Arabic-Indic and full-width digits.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISSUED_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
#: Malaysia's one time zone (UTC+8, no daylight saving): JPPS dates are Malaysian dates.
MYT: Final = timezone(timedelta(hours=8), "MYT")

def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: the only time format stored in records.

    A naive datetime is refused: reading it as the host's local time would make the signed
    record depend on the time zone of whichever machine built it.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError("record.timestamp", "a timestamp needs a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str, field: str) -> datetime:
    """Read a stored ``YYYY-MM-DDTHH:MM:SSZ`` time, refusing impossible dates and times."""
    if not isinstance(text, str):
        raise ValidationError("record.timestamp", "times are written YYYY-MM-DDTHH:MM:SSZ", field=field)
    return _parse_timestamp(text, field)


@lru_cache(maxsize=4096)  # a batch shares a handful of timestamps
def _parse_timestamp(text: str, field: str) -> datetime:
    if not _ISSUED_AT.fullmatch(text):
        raise ValidationError(
            "record.timestamp", "times are written YYYY-MM-DDTHH:MM:SSZ", field=field
        )
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError(
            "record.timestamp", f"{text} is not a real time", field=field
        ) from None


def parse_level(level: object) -> int:
    """A level as an int, from an int or the digit a CSV cell holds.

    ``int()`` alone would also take 3.7, True, "０３" and "0_3".
    """
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if isinstance(level, str) and level.strip() in ("1", "2", "3", "4", "5"):
        return int(level.strip())
    raise ValidationError("record.level", "level must be a number from 1 to 5", field="level")


def parse_kind_level(kind: str, level: int | str) -> tuple[str, int]:
    if not isinstance(kind, str):
        raise ValidationError("record.kind", "kind must be text", field="kind")
    kind = kind.strip().upper()
    if kind not in KINDS:
        raise ValidationError(
            "record.kind", f"kind must be one of {', '.join(KINDS)}", field="kind"
        )
    lvl = parse_level(level)
    if lvl not in LEVELS_BY_KIND[kind]:
        allowed = ", ".join(str(v) for v in LEVELS_BY_KIND[kind])
        raise ValidationError(
            "record.level", f"{kind} is awarded at level {allowed}, not {lvl}", field="level"
        )
    return kind, lvl


def parse_method(method: str) -> str:
    if isinstance(method, str):
        for m in METHODS:
            if method.strip().upper() == m.upper():
                return m
    raise ValidationError(
        "record.method", f"method must be one of {', '.join(METHODS)}", field="method"
    )


def parse_iso_date(text: str, field: str) -> str:
    """``YYYY-MM-DD`` as stored; ``date.fromisoformat`` alone would also take "2024-W01-1"."""
    stripped = text.strip() if isinstance(text, str) else ""
    if not _ISO_DATE.fullmatch(stripped):
        raise ValidationError("record.date", "dates are written YYYY-MM-DD", field=field)
    try:
        return date.fromisoformat(stripped).isoformat()
    except ValueError:
        raise ValidationError(
            "record.date", f"{stripped} is not a real date", field=field
        ) from None


def parse_centre_code(text: str) -> str:
    code = text.strip().upper() if isinstance(text, str) else ""
    if not CENTRE_CODE.fullmatch(code):
        raise ValidationError(
            "record.centre_code", "centre code is 1-20 letters, digits or -", field="centre_code"
        )
    return code


def parse_jpps_ref(text: str) -> str:
    ref = " ".join(text.split()) if isinstance(text, str) else ""
    if not _JPPS_REF.fullmatch(ref):
        raise ValidationError(
            "record.jpps_ref", "JPPS reference is 1-64 letters, digits or ./:()_-", field="jpps_ref"
        )
    return ref


def parse_noss_for_level(text: str, kind: str, level: int) -> str:
    """The normal NOSS code, refused when it names a level other than the award's.

    A PC (statement of achievement) covers modules of a standard at any level, so it is the
    one kind whose level may differ from its standard's.
    """
    noss = parse_noss(text)
    if noss.level is not None and noss.level != level and kind != "PC":
        raise ValidationError(
            "record.noss_level",
            f"NOSS code {noss.code} is a level {noss.level} standard, not level {level}",
            field="noss_code",
        )
    return noss.code


def malaysian_date(moment: datetime) -> date:
    return moment.astimezone(MYT).date()
