"""Working days: the guideline's "within 14 working days after the JPPS meeting" (para. 1.3).

Working days are those of the Malaysian public service: not a weekend day, not a public holiday.
Both depend on the state, so every function takes ``state``; without it the federal calendar
applies (Wilayah Persekutuan Putrajaya, where JPK sits: Saturday-Sunday weekend, the national
holidays plus the federal territories' own, such as Hari Wilayah Persekutuan, Thaipusam and
Nuzul Al-Quran).

Holidays and weekends come from the ``holidays`` package, which follows the gazetted lists,
including days declared at short notice and the in-lieu rules.  Weekends, as it encodes them
and as decided here: Kedah, Kelantan and Terengganu rest on Friday and Saturday; Johor did so
from 2014 to 2024 and returned to Saturday-Sunday on 1 January 2025; every other state and
the federal territories rest on Saturday and Sunday.

Two consequences for callers:

* Islamic holidays of future years are the package's estimates until the government gazettes
  them, so a deadline computed today for a date next year can move by a day when the package
  is upgraded.  Compute deadlines for display; never store one in replicated chain state
  unless every node pins the same ``holidays`` version.
* The package knows years up to 2100; dates outside ``MIN_YEAR``-``MAX_YEAR`` are refused.

Each (state, year) is turned once into a table of 365 or 366 flags and kept, so the functions
below cost a dictionary lookup and a few byte operations in hot paths (status pages, batches).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any, Final

from holidays.countries.malaysia import Malaysia

from certificate.errors import ValidationError

__all__ = [
    "FEDERAL",
    "MAX_YEAR",
    "MESSAGES",
    "MIN_YEAR",
    "deadline",
    "is_working_day",
    "resolve_state",
    "working_days_between",
]

#: ISO 3166-2:MY code of the calendar used when no state is given: WP Putrajaya.
FEDERAL: Final = "16"
# The package's data start in 1952 and end in 2100; a table for year Y needs Y - 1 and Y + 1
# (in-lieu days cross New Year).
MIN_YEAR: Final = 1953
MAX_YEAR: Final = 2099

MESSAGES: Final[dict[str, str]] = {
    "workdays.state": "unknown Malaysian state '{state}'",
    "workdays.year_range": "dates must lie between {min_year} and {max_year}",
    "workdays.days": "the number of working days must be a whole number of at least 0",
}

# Friendly names the package does not know, keyed like _key() keys them.  The package itself
# knows the ISO codes ("03"), its three-letter codes ("KTN") and the official names.
_EXTRA_NAMES: Final[dict[str, str]] = {
    "penang": "07",
    "pinang": "07",
    "malacca": "04",
    "nsembilan": "05",
    "ns": "05",
    "kualalumpur": "14",
    "wpkualalumpur": "14",
    "wpkl": "14",
    "kl": "14",
    "putrajaya": "16",
    "wpputrajaya": "16",
    "labuan": "15",
    "wplabuan": "15",
    "federal": FEDERAL,
    "persekutuan": FEDERAL,
}


def _key(name: str) -> str:
    return "".join(char for char in name.casefold() if char.isalnum())


def _known_names() -> dict[str, str]:
    names = {_key(code): code for code in Malaysia.subdivisions}
    for alias, code in Malaysia.subdivisions_aliases.items():
        names[_key(alias)] = code
    names.update(_EXTRA_NAMES)
    return names


_NAMES: Final[dict[str, str]] = _known_names()


def _refuse(code: str, **params: Any) -> ValidationError:
    return ValidationError(code, MESSAGES[code].format(**params), field="state", **params)


@functools.lru_cache(maxsize=256)
def resolve_state(state: str | None) -> str:
    """The ISO 3166-2:MY subdivision code ("01".."16") for a state as people and files name it.

    Accepts the codes ("03", "KTN"), the names in any case and spacing ("KELANTAN",
    "Pulau Pinang", "Penang", "WP Kuala Lumpur") and None or "" for the federal calendar.
    The numbers are also the place-of-birth codes 01-16 of MyKad numbers.
    """
    if state is None or not state.strip():
        return FEDERAL
    code = _NAMES.get(_key(state))
    if code is None:
        raise _refuse("workdays.state", state=state[:40])
    return code


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _refuse("workdays.year_range", min_year=MIN_YEAR, max_year=MAX_YEAR)


@functools.lru_cache(maxsize=512)
def _year_flags(subdivision: str, year: int) -> bytes:
    """One byte per day of ``year``: 1 for a working day, 0 for a weekend day or holiday."""
    calendar = Malaysia(subdiv=subdivision, years=range(year - 1, year + 2))
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    return bytes(1 if calendar.is_working_day(first + timedelta(days=i)) else 0 for i in range(days))


def _flags(subdivision: str, year: int) -> bytes:
    _check_year(year)
    return _year_flags(subdivision, year)


def _day_index(day: date) -> int:
    return day.toordinal() - date(day.year, 1, 1).toordinal()


def is_working_day(day: date, *, state: str | None = None) -> bool:
    return _flags(resolve_state(state), day.year)[_day_index(day)] == 1


def deadline(jpps_date: date, *, state: str | None = None, days: int = 14) -> date:
    """The ``days``-th working day after ``jpps_date``; the meeting day itself never counts.

    So a meeting on a Friday with ``days=1`` has its deadline on the next working day, Monday
    (or later if that is a holiday), and ``days=0`` is the meeting day itself.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise _refuse("workdays.days")
    subdivision = resolve_state(state)
    day = jpps_date
    flags = _flags(subdivision, day.year)
    remaining = days
    while remaining:
        if day.year == MAX_YEAR and day.month == 12 and day.day == 31:
            raise _refuse("workdays.year_range", min_year=MIN_YEAR, max_year=MAX_YEAR)
        day += timedelta(days=1)
        if day.month == 1 and day.day == 1:
            flags = _flags(subdivision, day.year)
        remaining -= flags[_day_index(day)]
    return day


def working_days_between(start: date, end: date, *, state: str | None = None) -> int:
    """Working days ``d`` with ``start < d <= end``: how many of a deadline's days have passed.

    ``working_days_between(j, deadline(j, days=n)) == n``.  When ``end`` is before ``start``
    the answer is negative, so differences of dates stay additive.
    """
    if end < start:
        return -working_days_between(end, start, state=state)
    subdivision = resolve_state(state)
    count = 0
    for year in range(start.year, end.year + 1):
        flags = _flags(subdivision, year)
        low = _day_index(start) + 1 if year == start.year else 0
        high = _day_index(end) + 1 if year == end.year else len(flags)
        count += flags.count(1, low, high)
    return count
