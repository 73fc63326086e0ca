"""Holder names and other free text that is signed into a certificate and printed on it.

A record is signed once and can never be amended, and the PDF must render the same bytes on
every node for decades, so text is brought to one canonical form before signing (NFC, single
spaces, no leading or trailing space) and everything that could make two visually identical
records differ, or make a record display differently from what it contains, is refused:

* control characters, and format characters (Cf) such as bidi overrides (U+202E can make
  "ALI" display as "ILA"), zero-width joiners and spaces, soft hyphens: invisible, so they
  only ever make two equal-looking names different.  The names a MyKad carries are printed
  in Latin or Chinese script and need none of them;
* surrogates, private-use and unassigned code points: no font renders them the same way twice,
  and an unassigned code point may gain a meaning (and an NFC mapping) in a later Unicode;
* combining marks that follow no letter, or more than four in a row ("Zalgo" text).

Digits are refused in holder names: a MyKad name never contains them, and in a batch file a
digit in the name column almost always means a shifted column (the MyKad number in the name).
The typographic apostrophe and hyphen that word processors substitute (U+2019, U+2010) are
turned into the ASCII ones, so the same person typed twice is the same name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Final

from certificate.errors import ValidationError

__all__ = [
    "MAX_NAME_LEN",
    "MESSAGES",
    "NAME_PUNCTUATION",
    "TEXT_PUNCTUATION",
    "is_normal_name",
    "is_normal_text",
    "normalise_name",
    "normalise_text",
]

#: Longest holder name accepted, in code points after normalisation.  The longest names on
#: MyKad run to about 80 characters ("... BIN ... @ ..."); 150 leaves room without allowing
#: a paragraph onto a certificate.
MAX_NAME_LEN: Final = 150
#: Punctuation Malaysian names carry: A/L, A/P, S/O, D/O, "@" for an alias, "O'NEIL", "MOHD.",
#: "NUR-AIN", commas and parenthesised Chinese names.
NAME_PUNCTUATION: Final = frozenset("'-./@,()")
#: Punctuation in programme titles and centre names ("PERKHIDMATAN PEMBAIKAN – KENDERAAN RINGAN").
TEXT_PUNCTUATION: Final = frozenset("&(),.-/':;–—‘’“”\"+%@")
_MAX_MARKS_IN_A_ROW: Final = 4

_MESSAGE_TEMPLATES: Final[dict[str, str]] = {
    "not_text": "must be given as text",
    "empty": "must not be empty",
    "too_long": "is too long: at most {max_len} characters",
    "control": "contains a control character ({char})",
    "format_char": "contains an invisible formatting character ({char})",
    "surrogate": "contains an invalid character (a lone surrogate, {char})",
    "private_use": "contains a private-use character ({char}) that no font shows reliably",
    "unassigned": "contains a character unknown to Unicode ({char})",
    "character": "contains a character that is not allowed here ({char})",
    "mark": "contains an accent or mark that is not attached to a letter ({char})",
}

MESSAGES: Final[dict[str, str]] = {
    **{f"name.{key}": f"the name {text}" for key, text in _MESSAGE_TEMPLATES.items()},
    "name.digit": "the name contains a digit ({char}); names on a MyKad have no digits",
    "name.no_letter": "the name must contain at least one letter",
    **{f"text.{key}": f"the text {text}" for key, text in _MESSAGE_TEMPLATES.items()},
    "text.no_alnum": "the text must contain at least one letter or digit",
}

_TYPOGRAPHIC: Final = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2010": "-"})
_LAYOUT_WHITESPACE: Final = frozenset("\t\n\r\v\f")
_WHITESPACE_RUN: Final = re.compile(r" {2,}")
_INVALID_CATEGORY: Final[dict[str, str]] = {
    "Cc": "control",
    "Cf": "format_char",
    "Cs": "surrogate",
    "Co": "private_use",
    "Cn": "unassigned",
}


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X} {name}".rstrip() if name else f"U+{ord(char):04X}"


def _refuse(prefix: str, key: str, field: str | None, **params: Any) -> ValidationError:
    code = f"{prefix}.{key}"
    return ValidationError(code, MESSAGES[code].format(**params), field=field, **params)


_ASCII_LETTERS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
#: The ASCII characters ``_normalise_str`` keeps unchanged in names and in other text, and
#: the character each must contain (a letter; a letter or digit).
_ASCII_NAME_CHARS: Final = _ASCII_LETTERS | {" "} | {c for c in NAME_PUNCTUATION if c.isascii()}
_ASCII_TEXT_CHARS: Final = _ASCII_LETTERS | frozenset("0123456789 ") | {c for c in TEXT_PUNCTUATION if c.isascii()}
_ASCII_LETTER: Final = re.compile(r"[A-Za-z]")
_ASCII_ALNUM: Final = re.compile(r"[A-Za-z0-9]")


def _is_normal_ascii(text: object, max_len: int, allowed: frozenset[str], required: re.Pattern[str]) -> bool:
    """True when ``text`` is ASCII already in normal form: then normalising returns it as is.

    Nearly every name and title on a certificate is plain ASCII, and most names occur once, so
    the memo below does not help them. ASCII is NFC, has no marks and no typographic quotes,
    and every allowed character is a letter, a digit (text only), the space or listed
    punctuation; so single spaces, no space at either end, the length and one required
    character are all that is left to check. Anything else takes the full path.
    """
    return (
        isinstance(text, str)
        and 0 < len(text) <= max_len
        and allowed.issuperset(text)
        and text[0] != " "
        and text[-1] != " "
        and "  " not in text
        and required.search(text) is not None
    )


def _whitespace_to_spaces(text: str) -> str:
    """Every space separator and layout control (tab, newline) becomes one ASCII space."""
    return "".join(
        " " if char in _LAYOUT_WHITESPACE or unicodedata.category(char) in ("Zs", "Zl", "Zp") else char for char in text
    )


def _normalise(
    text: object,
    *,
    prefix: str,
    field: str | None,
    max_len: int,
    punctuation: frozenset[str],
    digits: bool,
    typographic: bool,
) -> str:
    if not isinstance(text, str):
        raise _refuse(prefix, "empty" if text is None else "not_text", field)
    if len(text) > 4 * max_len + 64:
        # Refused before normalising (and before hashing it for the cache): no name is this long.
        raise _refuse(prefix, "too_long", field, max_len=max_len)
    return _normalise_str(text, prefix=prefix, field=field, max_len=max_len, punctuation=punctuation,
                          digits=digits, typographic=typographic)


@lru_cache(maxsize=65536)  # names and titles repeat in every batch; results are immutable
def _normalise_str(
    text: str,
    *,
    prefix: str,
    field: str | None,
    max_len: int,
    punctuation: frozenset[str],
    digits: bool,
    typographic: bool,
) -> str:
    if len(text) > 4 * max_len + 64:
        # Refused before normalising: even all-space padding of this size is no name.
        raise _refuse(prefix, "too_long", field, max_len=max_len)
    if typographic:
        text = text.translate(_TYPOGRAPHIC)
    # NFC before and after collapsing: the first so that the checks see composed characters,
    # the second because removing spaces can put a mark next to a letter it composes with.
    text = _WHITESPACE_RUN.sub(" ", _whitespace_to_spaces(unicodedata.normalize("NFC", text)))
    text = unicodedata.normalize("NFC", text.strip(" "))
    if not text:
        raise _refuse(prefix, "empty", field)
    if len(text) > max_len:
        raise _refuse(prefix, "too_long", field, max_len=max_len)

    marks_in_a_row = 0
    after_letter = False
    for char in text:
        category = unicodedata.category(char)
        if category[0] == "M":
            marks_in_a_row += 1
            if not after_letter or marks_in_a_row > _MAX_MARKS_IN_A_ROW:
                raise _refuse(prefix, "mark", field, char=_describe(char))
            continue
        marks_in_a_row = 0
        after_letter = category[0] == "L" or (digits and category[0] == "N")
        if category[0] == "L" or char == " " or char in punctuation:
            continue
        if category[0] == "N":
            if digits:
                continue
            raise _refuse(prefix, "digit", field, char=_describe(char))
        if category in _INVALID_CATEGORY:
            raise _refuse(prefix, _INVALID_CATEGORY[category], field, char=_describe(char))
        raise _refuse(prefix, "character", field, char=_describe(char))
    return text


def normalise_name(text: str, *, field: str | None = "name") -> str:
    """The canonical form of a holder's name, or a refusal that says which character is wrong.

    Letters of any script, combining marks, single spaces and ``' - . / @ , ( )`` are kept as
    typed (case included: the record says what the issuing officer submitted); see the module
    docstring for what is refused and why.
    """
    if _is_normal_ascii(text, MAX_NAME_LEN, _ASCII_NAME_CHARS, _ASCII_LETTER):
        return text
    name = _normalise(
        text,
        prefix="name",
        field=field,
        max_len=MAX_NAME_LEN,
        punctuation=NAME_PUNCTUATION,
        digits=False,
        typographic=True,
    )
    if not any(unicodedata.category(char)[0] == "L" for char in name):
        raise _refuse("name", "no_letter", field)
    return name


def is_normal_name(text: str, *, field: str | None = "name") -> bool:
    """``normalise_name(text) == text`` (so False where it refuses): checks stored names."""
    if _is_normal_ascii(text, MAX_NAME_LEN, _ASCII_NAME_CHARS, _ASCII_LETTER):
        return True
    try:
        return normalise_name(text, field=field) == text
    except ValidationError:
        return False


def is_normal_text(text: str, *, field: str, max_len: int) -> bool:
    """``normalise_text(text, ...) == text`` (so False where it refuses): checks stored text."""
    if _is_normal_ascii(text, max_len, _ASCII_TEXT_CHARS, _ASCII_ALNUM):
        return True
    try:
        return normalise_text(text, field=field, max_len=max_len) == text
    except ValidationError:
        return False


def normalise_text(text: str, *, field: str, max_len: int) -> str:
    """The canonical form of a programme title, centre name or similar printed text.

    Like names, but digits are allowed and the punctuation is that of titles
    (``TEXT_PUNCTUATION``).  Codes are ``text.*``; ``field`` says which column or form field.
    """
    if _is_normal_ascii(text, max_len, _ASCII_TEXT_CHARS, _ASCII_ALNUM):
        return text
    result = _normalise(
        text,
        prefix="text",
        field=field,
        max_len=max_len,
        punctuation=TEXT_PUNCTUATION,
        digits=True,
        typographic=False,
    )
    if not any(unicodedata.category(char)[0] in "LN" for char in result):
        raise _refuse("text", "no_alnum", field)
    return result
