from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate.errors import ValidationError
from certificate.mykad import MESSAGES, PLACE_CODES, MyKad, is_valid_mykad, parse_mykad

TODAY = date(2026, 11, 27)

# (input, strip_separators, expected birth date, place code, gender)
VALID: list[tuple[str, bool, date, str, str]] = [
    ("900101011234", False, date(1990, 1, 1), "01", "F"),
    ("900101141235", False, date(1990, 1, 1), "14", "M"),
    ("851231161237", False, date(1985, 12, 31), "16", "M"),
    ("000229101230", False, date(2000, 2, 29), "10", "F"),  # 2000 is leap, 1900 is not
    ("040229031231", False, date(2004, 2, 29), "03", "M"),
    ("960815211236", False, date(1996, 8, 15), "21", "F"),
    ("960815591236", False, date(1996, 8, 15), "59", "F"),
    ("960815601236", False, date(1996, 8, 15), "60", "F"),
    ("960815681236", False, date(1996, 8, 15), "68", "F"),
    ("960815711236", False, date(1996, 8, 15), "71", "F"),
    ("960815721236", False, date(1996, 8, 15), "72", "F"),
    ("960815741236", False, date(1996, 8, 15), "74", "F"),
    ("960815791236", False, date(1996, 8, 15), "79", "F"),
    ("960815821236", False, date(1996, 8, 15), "82", "F"),
    ("960815831236", False, date(1996, 8, 15), "83", "F"),
    ("960815931236", False, date(1996, 8, 15), "93", "F"),
    ("960815981236", False, date(1996, 8, 15), "98", "F"),
    ("960815991239", False, date(1996, 8, 15), "99", "M"),
    ("100515061235", False, date(2010, 5, 15), "06", "M"),  # 1910 and 2010: the recent one
    ("261127111234", False, date(2026, 11, 27), "11", "F"),  # born today: not the future
    ("261128111234", False, date(1926, 11, 28), "11", "F"),  # 2026-11-28 is tomorrow
    ("  900101011234\t", False, date(1990, 1, 1), "01", "F"),  # pasted with whitespace
    ("900101-01-1234", True, date(1990, 1, 1), "01", "F"),
    ("900101 01 1234", True, date(1990, 1, 1), "01", "F"),
    ("900101-011234", True, date(1990, 1, 1), "01", "F"),
    ("90010101-1234", True, date(1990, 1, 1), "01", "F"),
    ("900101\u201301\u20131234", True, date(1990, 1, 1), "01", "F"),  # en dash from Word
    ("900101011234", True, date(1990, 1, 1), "01", "F"),
]

# (input, strip_separators, today, expected code)
INVALID: list[tuple[Any, bool, date, str]] = [
    ("", False, TODAY, "mykad.empty"),
    ("   ", False, TODAY, "mykad.empty"),
    ("\t\r\n", True, TODAY, "mykad.empty"),
    (None, False, TODAY, "mykad.empty"),
    (900101011234, False, TODAY, "mykad.not_text"),
    (b"900101011234", False, TODAY, "mykad.not_text"),
    ("9" * 65, False, TODAY, "mykad.too_long"),
    ("9" * 10_000, True, TODAY, "mykad.too_long"),
    (" " * 10_000, False, TODAY, "mykad.too_long"),
    ("90010101123", False, TODAY, "mykad.length"),  # 11 digits
    ("9001010112345", False, TODAY, "mykad.length"),  # 13 digits
    ("9", False, TODAY, "mykad.length"),
    ("900101-01-123", True, TODAY, "mykad.length"),
    ("900101-01-12345", True, TODAY, "mykad.length"),
    ("900101-01-1234", False, TODAY, "mykad.separators"),
    ("900101 01 1234", False, TODAY, "mykad.separators"),
    ("900101\u2013011234", False, TODAY, "mykad.separators"),
    ("900101\u00a0011234", False, TODAY, "mykad.separators"),
    ("9001-0101-1234", True, TODAY, "mykad.separator_position"),
    ("900101--01-1234", True, TODAY, "mykad.separator_position"),
    ("-900101011234", True, TODAY, "mykad.separator_position"),
    ("900101011234-", True, TODAY, "mykad.separator_position"),
    ("９００１０１０１１２３４", False, TODAY, "mykad.fullwidth"),
    ("90010101123４", False, TODAY, "mykad.fullwidth"),
    ("900101－01－1234", True, TODAY, "mykad.fullwidth"),  # full-width hyphen-minus
    ("90010A011234", False, TODAY, "mykad.non_digit"),
    ("A90101011234", False, TODAY, "mykad.non_digit"),
    ("90O101011234", False, TODAY, "mykad.non_digit"),  # letter O for zero
    ("٩٠٠١٠١٠١١٢٣٤", False, TODAY, "mykad.non_digit"),  # Arabic-Indic digits
    ("900101\x00011234", False, TODAY, "mykad.non_digit"),
    ("900101\t011234", False, TODAY, "mykad.non_digit"),
    ("+60900101011234", False, TODAY, "mykad.non_digit"),
    ("900101.01.1234", True, TODAY, "mykad.non_digit"),
    ("900231011234", False, TODAY, "mykad.date"),  # 31 February
    ("900230011234", False, TODAY, "mykad.date"),  # 30 February
    ("010229011234", False, TODAY, "mykad.date"),  # 2001 and 1901 are not leap years
    ("990229011234", False, TODAY, "mykad.date"),
    ("000230011234", False, TODAY, "mykad.date"),
    ("901301011234", False, TODAY, "mykad.date"),  # month 13
    ("900001011234", False, TODAY, "mykad.date"),  # month 00
    ("900100011234", False, TODAY, "mykad.date"),  # day 00
    ("900431011234", False, TODAY, "mykad.date"),  # 31 April
    ("000229011234", False, date(1999, 6, 1), "mykad.future_date"),  # 1900-02-29 does not exist
    ("900101001234", False, TODAY, "mykad.place_code"),
    ("900101171234", False, TODAY, "mykad.place_code"),
    ("900101691234", False, TODAY, "mykad.place_code"),
    ("900101731234", False, TODAY, "mykad.place_code"),
    ("900101-97-1234", True, TODAY, "mykad.place_code"),
]


@pytest.mark.parametrize(("text", "strip", "born", "place", "gender"), VALID)
def test_valid(text: str, strip: bool, born: date, place: str, gender: str) -> None:
    kad = parse_mykad(text, strip_separators=strip, today=TODAY)
    assert len(kad.number) == 12 and kad.number.isdigit()
    assert kad.birth_date == born
    assert kad.place_code == place
    assert kad.gender == gender
    assert is_valid_mykad(text, strip_separators=strip, today=TODAY)


@pytest.mark.parametrize(("text", "strip", "today", "code"), INVALID)
def test_invalid(text: Any, strip: bool, today: date, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_mykad(text, strip_separators=strip, today=today)
    assert err.value.code == code
    assert err.value.field == "ic"
    assert err.value.message
    assert not is_valid_mykad(text, strip_separators=strip, today=today)


def test_table_is_big_enough() -> None:
    assert len(VALID) + len(INVALID) >= 40


def test_every_code_has_a_message_and_is_exercised() -> None:
    used = {code for *_, code in INVALID}
    assert used == set(MESSAGES)


def test_place_codes_match_the_national_list() -> None:
    valid = (
        set(range(1, 17))
        | set(range(21, 60))
        | set(range(60, 69))
        | {71, 72}
        | set(range(74, 80))
        | {82}
        | set(range(83, 94))
        | {98, 99}
    )
    assert {int(code) for code in PLACE_CODES} == valid


@pytest.mark.parametrize("place", [f"{n:02d}" for n in range(100) if f"{n:02d}" not in PLACE_CODES])
def test_every_unused_place_code_is_refused(place: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_mykad(f"900101{place}1234", today=TODAY)
    assert err.value.code == "mykad.place_code"
    assert err.value.params == {"place_code": place}
    assert place in err.value.message


def test_unused_place_codes_are_exactly_these() -> None:
    unused = sorted(f"{n:02d}" for n in range(100) if f"{n:02d}" not in PLACE_CODES)
    assert unused == [
        "00", "17", "18", "19", "20", "69", "70", "73", "80", "81", "94", "95", "96", "97",
    ]  # fmt: skip


def test_dash_message_tells_the_user_what_to_do() -> None:
    with pytest.raises(ValidationError) as err:
        parse_mykad("900101-01-1234")
    assert "without dashes" in err.value.message


def test_messages_never_echo_the_number() -> None:
    for text in ("900231011234", "900101001234", "90010101123", "900101-01-1234"):
        with pytest.raises(ValidationError) as err:
            parse_mykad(text, today=TODAY)
        assert text not in str(err.value) and "900101" not in str(err.value)


def test_display_forms() -> None:
    kad = parse_mykad("900101011278", today=TODAY)
    assert kad.formatted == "900101-01-1278"
    assert kad.masked == "900101-**-**78"
    assert "011278" not in repr(kad) and "011278" not in str(kad)


def test_today_defaults_to_the_real_date() -> None:
    assert parse_mykad("900101011234").birth_date == date(1990, 1, 1)


def test_ten_kilobytes_is_refused_on_length_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    # The length check comes first: no digit is looked at in 10 kB of input.
    import certificate.mykad as mykad

    monkeypatch.setattr(mykad, "_collect_digits", lambda *a, **k: (_ for _ in ()).throw(AssertionError("scanned")))
    assert not is_valid_mykad("9" * 10_000)
    with pytest.raises(ValidationError) as err:
        parse_mykad("9" * 10_000)
    assert err.value.code == "mykad.too_long"


def test_result_is_frozen() -> None:
    kad = parse_mykad("900101011234", today=TODAY)
    with pytest.raises(AttributeError):
        kad.number = "900101011235"  # type: ignore[misc]


@given(st.text(max_size=80), st.booleans())
def test_arbitrary_text_only_ever_raises_validation_error(text: str, strip: bool) -> None:
    try:
        kad = parse_mykad(text, strip_separators=strip, today=TODAY)
    except ValidationError as err:
        assert err.code in MESSAGES
    else:
        assert isinstance(kad, MyKad) and len(kad.number) == 12


@given(
    st.dates(min_value=date(1927, 1, 1), max_value=TODAY),
    st.sampled_from(sorted(PLACE_CODES)),
    st.integers(0, 9999),
)
def test_generated_numbers_round_trip(born: date, place: str, serial: int) -> None:
    number = f"{born:%y%m%d}{place}{serial:04d}"
    kad = parse_mykad(number, today=TODAY)
    assert kad.birth_date == born
    assert kad.gender == ("M" if serial % 2 else "F")
    assert parse_mykad(kad.formatted, strip_separators=True, today=TODAY) == kad
