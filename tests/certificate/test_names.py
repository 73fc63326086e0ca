from __future__ import annotations

import csv
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certificate.errors import ValidationError
from certificate.names import MAX_NAME_LEN, MESSAGES, normalise_name, normalise_text
from tests.shared_files import shared

PROGRAMMES = shared("data/programmes.csv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MUHAMMAD ALI BIN ABU BAKAR", "MUHAMMAD ALI BIN ABU BAKAR"),
        ("  SITI   NUR AISYAH\tBINTI  OTHMAN \n", "SITI NUR AISYAH BINTI OTHMAN"),
        ("RAJESH A/L MUTHUSAMY", "RAJESH A/L MUTHUSAMY"),
        ("KAVITHA A/P SUBRAMANIAM", "KAVITHA A/P SUBRAMANIAM"),
        ("AHMAD @ AHMED BIN ISMAIL", "AHMAD @ AHMED BIN ISMAIL"),
        ("TAN AH KOW (陈亚九)", "TAN AH KOW (陈亚九)"),
        ("陈伟明", "陈伟明"),
        ("முத்துசாமி", "முத்துசாமி"),
        ("Şükrü Ğ ı", "Şükrü Ğ ı"),
        ("MOHD. FAIZAL, JR", "MOHD. FAIZAL, JR"),
        ("NUR-AIN O'NEIL", "NUR-AIN O'NEIL"),
        ("NUR\u2010AIN O\u2019NEIL", "NUR-AIN O'NEIL"),  # word-processor hyphen and apostrophe
        ("JOSE\u0301", "JOSÉ"),  # decomposed accent composed to NFC
        ("ALI\u00a0BIN\u3000ABU", "ALI BIN ABU"),  # no-break and ideographic spaces
        ("ALI\u2028BIN\r\nABU", "ALI BIN ABU"),  # line separators
        ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
        ("A" * MAX_NAME_LEN, "A" * MAX_NAME_LEN),
        (" " * 300 + "ALI" + " " * 300, "ALI"),
    ],
)
def test_names_accepted(text: str, expected: str) -> None:
    assert normalise_name(text) == expected
    assert unicodedata.is_normalized("NFC", expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (None, "name.empty"),
        ("", "name.empty"),
        ("  \t\n ", "name.empty"),
        (b"ALI", "name.not_text"),
        ("A" * (MAX_NAME_LEN + 1), "name.too_long"),
        ("A " * 5000, "name.too_long"),
        ("ALI BIN ABU 2", "name.digit"),
        ("900101011234", "name.digit"),
        ("ALI ٣", "name.digit"),  # Arabic-Indic digit
        ("HENRY Ⅷ", "name.digit"),  # Roman numeral character (Nl)
        ("ALI\x00ABU", "name.control"),
        ("ALI\x1fABU", "name.control"),
        ("ALI\x85ABU", "name.control"),
        ("ALI\u202eUBA", "name.format_char"),  # right-to-left override
        ("ALI\u200bABU", "name.format_char"),  # zero-width space
        ("ALI\u200dABU", "name.format_char"),  # zero-width joiner
        ("ALI\u00adABU", "name.format_char"),  # soft hyphen
        ("\ufeffALI", "name.format_char"),  # byte-order mark
        ("ALI\ud800", "name.surrogate"),
        ("ALI\ue000", "name.private_use"),
        ("ALI\U000f0000", "name.private_use"),
        ("ALI\u0378", "name.unassigned"),
        ("ALI!", "name.character"),
        ("ALI_ABU", "name.character"),
        ("ALI 😀", "name.character"),
        ("ALI <b>", "name.character"),
        ("ALI\u2013ABU", "name.character"),  # en dash is not a name hyphen
        ("\u0301ALI", "name.mark"),
        ("ALI \u0301", "name.mark"),
        ("A\u0300\u0301\u0302\u0303\u0304\u0305", "name.mark"),  # Zalgo
        ("@ / . -", "name.no_letter"),
    ],
)
def test_names_refused(text: Any, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise_name(text)
    assert err.value.code == code
    assert err.value.field == "name"
    assert err.value.message == MESSAGES[code].format(**err.value.params)


def test_refusal_names_the_invisible_character() -> None:
    with pytest.raises(ValidationError) as err:
        normalise_name("ALI\u202eUBA")
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in err.value.message


def test_field_is_passed_through() -> None:
    with pytest.raises(ValidationError) as err:
        normalise_name("", field="row 7: name")
    assert err.value.field == "row 7: name"


def test_a_huge_input_is_refused_before_any_normalising(monkeypatch: pytest.MonkeyPatch) -> None:
    # Refused on its length alone: no Unicode work is done on 10 MB of input.
    import certificate.names as names

    def boom(*_: object, **__: object) -> str:
        raise AssertionError("normalised a huge input")

    monkeypatch.setattr(names, "_normalise_str", boom)
    with pytest.raises(ValidationError) as err:
        normalise_name("A" * 10_000_000)
    assert err.value.code == "name.too_long"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PERKHIDMATAN PEMBAIKAN – KENDERAAN RINGAN", "PERKHIDMATAN PEMBAIKAN – KENDERAAN RINGAN"),
        ("Pemasangan  Elektrik (Fasa 1 & 3)", "Pemasangan Elektrik (Fasa 1 & 3)"),
        ("Kod: 123; Versi 2/2024", "Kod: 123; Versi 2/2024"),
        ("Children’s Care", "Children’s Care"),
        ("2024", "2024"),
    ],
)
def test_text_accepted(text: str, expected: str) -> None:
    assert normalise_text(text, field="programme_ms", max_len=200) == expected


@pytest.mark.parametrize(
    ("text", "max_len", "code"),
    [
        ("", 200, "text.empty"),
        (None, 200, "text.empty"),
        (1, 200, "text.not_text"),
        ("ABCDEF", 5, "text.too_long"),
        ("KURSUS\x07", 200, "text.control"),
        ("KURSUS\u202e", 200, "text.format_char"),
        ("KURSUS\ue000", 200, "text.private_use"),
        ("KURSUS <script>", 200, "text.character"),
        ("KURSUS\u0378", 200, "text.unassigned"),
        ("- & -", 200, "text.no_alnum"),
    ],
)
def test_text_refused(text: Any, max_len: int, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        normalise_text(text, field="programme_ms", max_len=max_len)
    assert err.value.code == code
    assert err.value.field == "programme_ms"


def test_every_title_and_centre_in_the_programme_listing() -> None:
    if not PROGRAMMES.exists():
        pytest.skip(f"{PROGRAMMES} not available")
    with PROGRAMMES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        assert normalise_text(row["program"], field="programme_ms", max_len=200) == row["program"]
        assert normalise_text(row["institusi"], field="centre_name", max_len=200)


def test_every_code_has_a_message() -> None:
    assert all(code.split(".")[0] in ("name", "text") for code in MESSAGES)
    assert {"name.digit", "name.control", "name.format_char", "name.too_long"} <= set(MESSAGES)


@given(st.text(max_size=200))
def test_normalise_name_is_idempotent(text: str) -> None:
    try:
        name = normalise_name(text)
    except ValidationError as err:
        assert err.code in MESSAGES
    else:
        assert normalise_name(name) == name
        assert name == name.strip() and "  " not in name
        assert unicodedata.is_normalized("NFC", name)


@given(
    st.text(
        alphabet=st.characters(categories=["L", "M", "Zs"], include_characters="'-./@,()\t"),
        max_size=200,
    )
)
def test_normalise_name_is_idempotent_on_name_like_text(text: str) -> None:
    try:
        name = normalise_name(text)
    except ValidationError as err:
        assert err.code in MESSAGES
    else:
        assert normalise_name(name) == name


@given(st.text(max_size=200))
def test_normalise_text_is_idempotent(text: str) -> None:
    try:
        result = normalise_text(text, field="t", max_len=150)
    except ValidationError as err:
        assert err.code in MESSAGES
    else:
        assert normalise_text(result, field="t", max_len=150) == result
