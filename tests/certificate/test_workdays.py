"""Working-day rules, checked against deadlines counted by hand.

Every case below was counted on a printed calendar (``python -c "import calendar; ..."``) against
the holiday list of the ``holidays`` package for that state and year; the comment of each case
shows the count.  "(Sa Su)" marks a weekend, "hol" a public holiday.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate.errors import ValidationError
from certificate.workdays import (
    MESSAGES,
    deadline,
    is_working_day,
    resolve_state,
    working_days_between,
)

# (JPPS date, state, expected deadline)
HAND_COUNTED: list[tuple[date, str | None, date]] = [
    # 1. Hari Raya Aidilfitri 2025, federal (Putrajaya). Holidays Mon 31 Mar, Tue 1 Apr.
    # JPPS Tue 25 Mar. Wed 26=1 Thu 27=2 Fri 28=3 (Sa 29 Su 30) Mon 31 hol Tue 1 hol
    # Wed 2=4 Thu 3=5 Fri 4=6 (Sa Su) Mon 7=7 Tue 8=8 Wed 9=9 Thu 10=10 Fri 11=11 (Sa Su)
    # Mon 14=12 Tue 15=13 Wed 16=14.
    (date(2025, 3, 25), None, date(2025, 4, 16)),
    # 2. An ordinary July 2025, federal: no holiday between 27 Jun and 31 Aug.
    # JPPS Mon 7 Jul. Tue 8=1 Wed 9=2 Thu 10=3 Fri 11=4 (Sa Su) Mon 14=5 .. Fri 18=9 (Sa Su)
    # Mon 21=10 Tue 22=11 Wed 23=12 Thu 24=13 Fri 25=14.
    (date(2025, 7, 7), None, date(2025, 7, 25)),
    # 3. Hari Raya Aidiladha 2025, federal. Mon 2 Jun Agong's birthday; Eid al-Adha on
    # Sat 7 Jun (a weekend day; no day in lieu for a Saturday in the federal territories).
    # JPPS Fri 30 May. (Sa 31 Su 1) Mon 2 hol Tue 3=1 Wed 4=2 Thu 5=3 Fri 6=4 (Sa 7 Su 8)
    # Mon 9=5 .. Fri 13=9 (Sa Su) Mon 16=10 Tue 17=11 Wed 18=12 Thu 19=13 Fri 20=14.
    (date(2025, 5, 30), None, date(2025, 6, 20)),
    # 4. Same week, federal, JPPS Thu 29 May. Fri 30=1 (Sa Su) Mon 2 hol Tue 3=2 Wed 4=3
    # Thu 5=4 Fri 6=5 (Sa Su) Mon 9=6 .. Fri 13=10 (Sa Su) Mon 16=11 Tue 17=12 Wed 18=13
    # Thu 19=14.
    (date(2025, 5, 29), None, date(2025, 6, 19)),
    # 5. Same meeting in Kelantan: Friday-Saturday weekend; Mon 2 Jun Agong, Fri 6 Arafah,
    # Sat 7 Eid al-Adha, Sun 8 its second day, Mon 9 in lieu for Saturday's Eid.
    # JPPS Thu 29 May. (Fr 30 Sa 31) Sun 1=1 Mon 2 hol Tue 3=2 Wed 4=3 Thu 5=4 (Fr 6 Sa 7)
    # Sun 8 hol Mon 9 hol Tue 10=5 Wed 11=6 Thu 12=7 (Fr Sa) Sun 15=8 Mon 16=9 Tue 17=10
    # Wed 18=11 Thu 19=12 (Fr Sa) Sun 22=13 Mon 23=14.
    (date(2025, 5, 29), "Kelantan", date(2025, 6, 23)),
    # 6. Hari Raya Aidilfitri 2026, federal: Fri 20 Mar (additional), Sat 21, Sun 22,
    # Mon 23 (in lieu for Sunday).
    # JPPS Wed 18 Mar. Thu 19=1 Fri 20 hol (Sa Su) Mon 23 hol Tue 24=2 Wed 25=3 Thu 26=4
    # Fri 27=5 (Sa Su) Mon 30=6 Tue 31=7 Wed 1 Apr=8 Thu 2=9 Fri 3=10 (Good Friday is not
    # a holiday here) (Sa Su) Mon 6=11 Tue 7=12 Wed 8=13 Thu 9=14.
    (date(2026, 3, 18), None, date(2026, 4, 9)),
    # 7. Same meeting in Kelantan (KTN): Fri 20 hol+weekend, Sat 21 weekend, Sun 22 and
    # Mon 23 holidays.
    # JPPS Wed 18 Mar. Thu 19=1 (Fr 20 Sa 21) Sun 22 hol Mon 23 hol Tue 24=2 Wed 25=3
    # Thu 26=4 (Fr Sa) Sun 29=5 Mon 30=6 Tue 31=7 Wed 1 Apr=8 Thu 2=9 (Fr Sa) Sun 5=10
    # Mon 6=11 Tue 7=12 Wed 8=13 Thu 9=14.
    (date(2026, 3, 18), "KTN", date(2026, 4, 9)),
    # 8. Hari Raya Aidiladha 2026, federal: Wed 27 May Eid al-Adha, Sun 31 Vesak (in lieu
    # Tue 2 Jun), Mon 1 Jun Agong, Wed 17 Jun Awal Muharram.
    # JPPS Mon 25 May. Tue 26=1 Wed 27 hol Thu 28=2 Fri 29=3 (Sa Su) Mon 1 hol Tue 2 hol
    # Wed 3=4 Thu 4=5 Fri 5=6 (Sa Su) Mon 8=7 Tue 9=8 Wed 10=9 Thu 11=10 Fri 12=11 (Sa Su)
    # Mon 15=12 Tue 16=13 Wed 17 hol Thu 18=14.
    (date(2026, 5, 25), None, date(2026, 6, 18)),
    # 9. Same meeting in Terengganu: Friday-Saturday weekend; Tue 26 Arafah, Wed 27 and
    # Thu 28 Eid al-Adha, Sun 31 Vesak (a working weekday there, so no day in lieu),
    # Mon 1 Jun Agong, Wed 17 Awal Muharram.
    # JPPS Mon 25 May. Tue 26 hol Wed 27 hol Thu 28 hol (Fr 29 Sa 30) Sun 31 hol Mon 1 hol
    # Tue 2=1 Wed 3=2 Thu 4=3 (Fr Sa) Sun 7=4 Mon 8=5 Tue 9=6 Wed 10=7 Thu 11=8 (Fr Sa)
    # Sun 14=9 Mon 15=10 Tue 16=11 Wed 17 hol Thu 18=12 (Fr Sa) Sun 21=13 Mon 22=14.
    (date(2026, 5, 25), "Terengganu", date(2026, 6, 22)),
    # 10. Across New Year, federal: Thu 25 Dec 2025 Christmas, Thu 1 Jan 2026 New Year.
    # JPPS Wed 17 Dec. Thu 18=1 Fri 19=2 (Sa Su) Mon 22=3 Tue 23=4 Wed 24=5 Thu 25 hol
    # Fri 26=6 (Sa Su) Mon 29=7 Tue 30=8 Wed 31=9 Thu 1 hol Fri 2=10 (Sa Su) Mon 5=11
    # Tue 6=12 Wed 7=13 Thu 8=14.
    (date(2025, 12, 17), None, date(2026, 1, 8)),
    # 11. Chinese New Year 2027, federal: Mon 1 Feb Federal Territory Day, Sat 6 and Sun 7
    # CNY, Mon 8 in lieu.
    # JPPS Fri 29 Jan. (Sa Su) Mon 1 hol Tue 2=1 Wed 3=2 Thu 4=3 Fri 5=4 (Sa Su) Mon 8 hol
    # Tue 9=5 Wed 10=6 Thu 11=7 Fri 12=8 (Sa Su) Mon 15=9 .. Fri 19=13 (Sa Su) Mon 22=14.
    (date(2027, 1, 29), None, date(2027, 2, 22)),
    # 12. Hari Raya Aidilfitri 2027 (the package's estimate until gazetted), federal:
    # Wed 10 and Thu 11 Mar. Nuzul Al-Quran Wed 24 Feb is before the meeting.
    # JPPS Mon 8 Mar. Tue 9=1 Wed 10 hol Thu 11 hol Fri 12=2 (Sa Su) Mon 15=3 .. Fri 19=7
    # (Sa Su) Mon 22=8 .. Fri 26=12 (Sa Su) Mon 29=13 Tue 30=14.
    (date(2027, 3, 8), None, date(2027, 3, 30)),
    # 13. Hari Raya Aidiladha 2027 (estimate), federal: Mon 17 May Eid al-Adha, Thu 20 May
    # Vesak, Sun 6 Jun Awal Muharram (the package gives no day in lieu), Mon 7 Jun Agong.
    # JPPS Fri 14 May. (Sa Su) Mon 17 hol Tue 18=1 Wed 19=2 Thu 20 hol Fri 21=3 (Sa Su)
    # Mon 24=4 .. Fri 28=8 (Sa Su) Mon 31=9 Tue 1 Jun=10 Wed 2=11 Thu 3=12 Fri 4=13
    # (Sa 5 Su 6) Mon 7 hol Tue 8=14.
    (date(2027, 5, 14), None, date(2027, 6, 8)),
    # 14. Johor since 2025: Saturday-Sunday weekend, so Fridays count. Only holiday in
    # July 2025 is the Sultan's Hol on Thu 31 Jul.
    # JPPS Thu 3 Jul. Fri 4=1 (Sa Su) Mon 7=2 Tue 8=3 Wed 9=4 Thu 10=5 Fri 11=6 (Sa Su)
    # Mon 14=7 .. Fri 18=11 (Sa Su) Mon 21=12 Tue 22=13 Wed 23=14.
    (date(2025, 7, 3), "Johor", date(2025, 7, 23)),
    # 15. Johor in 2024: Friday-Saturday weekend; Sun 7 Jul Awal Muharram.
    # JPPS Thu 4 Jul. (Fr 5 Sa 6) Sun 7 hol Mon 8=1 Tue 9=2 Wed 10=3 Thu 11=4 (Fr Sa)
    # Sun 14=5 .. Thu 18=9 (Fr Sa) Sun 21=10 Mon 22=11 Tue 23=12 Wed 24=13 Thu 25=14.
    (date(2024, 7, 4), "JHR", date(2024, 7, 25)),
]


@pytest.mark.parametrize(("jpps", "state", "expected"), HAND_COUNTED)
def test_hand_counted_deadlines(jpps: date, state: str | None, expected: date) -> None:
    assert deadline(jpps, state=state) == expected
    assert working_days_between(jpps, expected, state=state) == 14
    assert is_working_day(expected, state=state)


def test_enough_hand_counted_cases_in_2025_to_2027() -> None:
    assert sum(2025 <= jpps.year <= 2027 for jpps, _, _ in HAND_COUNTED) >= 10


@pytest.mark.parametrize(
    ("day", "state", "working"),
    [
        (date(2025, 7, 4), None, True),  # Friday
        (date(2025, 7, 5), None, False),  # Saturday
        (date(2025, 7, 6), None, False),  # Sunday
        (date(2025, 7, 4), "Kelantan", False),  # Friday: Kelantan weekend
        (date(2025, 7, 6), "Kelantan", True),  # Sunday: Kelantan working day
        (date(2025, 7, 4), "Kedah", False),
        (date(2025, 7, 4), "Terengganu", False),
        (date(2024, 7, 5), "Johor", False),  # Friday, Johor weekend until 2024
        (date(2025, 7, 4), "Johor", True),  # Friday, Johor working day since 2025
        (date(2025, 7, 6), "Johor", False),
        (date(2025, 3, 31), None, False),  # Hari Raya Aidilfitri
        (date(2025, 2, 1), None, False),  # Federal Territory Day (a Saturday anyway)
        (date(2025, 2, 11), None, False),  # Thaipusam: federal territories
        (date(2025, 2, 11), "Pahang", True),  # ... not Pahang
        (date(2025, 3, 18), None, False),  # Nuzul Al-Quran: federal territories
        (date(2025, 3, 18), "Selangor", False),
        (date(2025, 3, 18), "Pulau Pinang", False),
        (date(2025, 3, 18), "Melaka", True),  # ... not Melaka
        (date(2025, 3, 18), "Sabah", True),
    ],
)
def test_is_working_day(day: date, state: str | None, working: bool) -> None:
    assert is_working_day(day, state=state) is working


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (None, "16"),
        ("", "16"),
        ("  ", "16"),
        ("Putrajaya", "16"),
        ("WP Putrajaya", "16"),
        ("Kuala Lumpur", "14"),
        ("W.P. Kuala Lumpur", "14"),
        ("KUL", "14"),
        ("Kelantan", "03"),
        ("KELANTAN", "03"),
        ("ktn", "03"),
        ("03", "03"),
        ("Terengganu", "11"),
        ("TRG", "11"),
        ("Pahang", "06"),
        ("Pulau Pinang", "07"),
        ("Penang", "07"),
        ("Malacca", "04"),
        ("Melaka", "04"),
        ("Negeri Sembilan", "05"),
        ("N. Sembilan", "05"),
        ("Labuan", "15"),
        ("Johor", "01"),
    ],
)
def test_resolve_state(name: str | None, code: str) -> None:
    assert resolve_state(name) == code


def test_the_programme_listing_states_resolve() -> None:
    assert resolve_state("PAHANG") == "06" and resolve_state("TERENGGANU") == "11"


@pytest.mark.parametrize("name", ["Singapore", "Kelantan Utara", "17", "X" * 1000])
def test_unknown_state_is_refused(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        is_working_day(date(2025, 1, 2), state=name)
    assert err.value.code == "workdays.state"
    assert len(err.value.message) < 100


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: deadline(date(2025, 1, 2), days=-1), "workdays.days"),
        (lambda: deadline(date(2025, 1, 2), days=True), "workdays.days"),
        (lambda: deadline(date(2025, 1, 2), days=1.5), "workdays.days"),
        (lambda: deadline(date(2100, 1, 4)), "workdays.year_range"),
        (lambda: deadline(date(2099, 12, 24)), "workdays.year_range"),
        (lambda: deadline(date(1900, 1, 1)), "workdays.year_range"),
        (lambda: is_working_day(date(1, 1, 1)), "workdays.year_range"),
        (lambda: working_days_between(date(2025, 1, 1), date(9999, 12, 31)), "workdays.year_range"),
    ],
)
def test_refusals(call: Any, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        call()
    assert err.value.code == code
    assert code in MESSAGES


def test_zero_days_is_the_meeting_day() -> None:
    assert deadline(date(2025, 3, 31), days=0) == date(2025, 3, 31)


def test_one_day_after_a_friday_meeting() -> None:
    assert deadline(date(2025, 7, 4), days=1) == date(2025, 7, 7)  # Monday
    assert deadline(date(2025, 3, 28), days=1) == date(2025, 4, 2)  # Raya Mon 31, Tue 1


def test_working_days_between() -> None:
    # Mon 7 Jul 2025 to Mon 14 Jul: Tue..Fri and Mon = 5.
    assert working_days_between(date(2025, 7, 7), date(2025, 7, 14)) == 5
    assert working_days_between(date(2025, 7, 14), date(2025, 7, 7)) == -5
    assert working_days_between(date(2025, 7, 7), date(2025, 7, 7)) == 0
    # Working days in 2025, federal: 2025 starts on a Wednesday and has 52 weeks and a day,
    # so 261 weekdays; minus the 17 listed holidays on weekdays (1 Jan, 29-30 Jan, 11 Feb,
    # 18 Mar, 31 Mar, 1 Apr, 1 May, 12 May, 2 Jun, 27 Jun, 1 Sep, 5 Sep, 15-16 Sep, 20 Oct,
    # 25 Dec) = 244.
    assert working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 261 - 17


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.sampled_from([None, "Kelantan", "Johor", "Sabah", "Kedah", "Selangor"]),
    st.integers(0, 60),
)
def test_deadline_and_count_agree(jpps: date, state: str | None, days: int) -> None:
    end = deadline(jpps, state=state, days=days)
    assert working_days_between(jpps, end, state=state) == days
    if days:
        assert is_working_day(end, state=state)
        assert working_days_between(jpps, end - timedelta(days=1), state=state) == days - 1


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
)
def test_counts_are_additive(a: date, b: date, c: date) -> None:
    assert working_days_between(a, b) + working_days_between(b, c) == working_days_between(a, c)


def test_holiday_tables_are_built_once_per_state_and_year(monkeypatch: pytest.MonkeyPatch) -> None:
    # deadline() runs on every status page: the holidays package is asked once per (state, year).
    import certificate.workdays as workdays

    deadline(date(2026, 5, 25), state="Kelantan")  # warm the cache
    calls: list[object] = []
    real = workdays.Malaysia
    monkeypatch.setattr(workdays, "Malaysia", lambda *a, **k: calls.append(k) or real(*a, **k))
    for i in range(5000):
        deadline(date(2026, 1, 1) + timedelta(days=i % 300), state="Kelantan")
    assert calls == []
