"""The certificate record: the thing an issuer signs and the chain keeps forever.

A record is immutable. It is validated when built, and ``from_dict`` accepts only values that
are already in normal form, so the bytes a third party re-encodes from a record are exactly the
bytes the issuer signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, Final

from certificate import canonical
from certificate.certno import normalise_cert_no, parse_cert_no, parse_normal_cert_no
from certificate.errors import ValidationError
from certificate.mykad import parse_mykad
from certificate.names import is_normal_name, is_normal_text, normalise_name, normalise_text
from certificate.noss import MAX_LEN as NOSS_MAX_LEN
from certificate.record_fields import (
    CENTRE_CODE,
    LEVELS_BY_KIND,
    METHODS,
    malaysian_date,
    parse_centre_code,
    parse_iso_date,
    parse_kind_level,
    parse_method,
    parse_noss_for_level,
)
from certificate.record_fields import KINDS as KINDS  # re-exported: callers read them from the record
from certificate.record_fields import MYT as MYT
from certificate.record_fields import parse_jpps_ref as parse_jpps_ref
from certificate.record_fields import parse_timestamp as parse_timestamp
from certificate.record_fields import utc_timestamp as utc_timestamp

KIND_TITLES: Final[dict[str, tuple[str, str]]] = {
    "SKM": ("Sijil Kemahiran Malaysia", "Malaysian Skills Certificate"),
    "DKM": ("Diploma Kemahiran Malaysia", "Malaysian Skills Diploma"),
    "DLKM": ("Diploma Lanjutan Kemahiran Malaysia", "Malaysian Advanced Skills Diploma"),
    "PC": ("Penyata Pencapaian", "Statement of Achievement"),
}
METHOD_TITLES: Final[dict[str, tuple[str, str]]] = {
    "SLaPB": ("Sistem Latihan Program Bertauliah", "Accredited Centre Training"),
    "PPT": ("Pengiktirafan Pencapaian Terdahulu", "Recognition of Prior Achievement"),
    "SLDN": ("Sistem Latihan Dual Nasional", "National Dual Training System"),
}
FIELDS: Final = (
    "cert_no",
    "kind",
    "level",
    "holder_name",
    "holder_ic",
    "noss_code",
    "programme_ms",
    "programme_en",
    "method",
    "centre_code",
    "centre_name",
    "jpps_ref",
    "jpps_date",
    "issued_at",
    "supersedes",
)
_FIELD_SET: Final = frozenset(FIELDS)
_TEXT_FIELDS: Final = tuple(f for f in FIELDS if f not in ("level", "supersedes"))


def _loose_text(values: dict[str, Any], name: str) -> str:
    """A field of loose input as text: absent or None is empty (refused later as missing).

    ``str()`` on everything would turn None into the perfectly valid name "None".
    """
    value = values.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise ValidationError("record.type", f"{name} must be text", field=name)


@dataclass(frozen=True)
class CertificateRecord:
    cert_no: str
    kind: str
    level: int
    holder_name: str
    holder_ic: str
    noss_code: str
    programme_ms: str
    programme_en: str
    method: str
    centre_code: str
    centre_name: str
    jpps_ref: str
    jpps_date: str
    issued_at: str
    supersedes: str | None = None

    @classmethod
    def create(cls, **values: Any) -> CertificateRecord:
        """Build a record from loose input (a CSV row, a form), normalising every field.

        Unknown field names are refused rather than ignored: a misspelt ``supersedes`` would
        otherwise silently produce a signed, unamendable record without its correction link.
        ``issued_at`` may be an aware datetime or the stored text form.
        """
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise ValidationError(
                "record.unknown_field",
                f"unknown field {sorted(unknown)[0]!r}",
                field=sorted(unknown)[0],
            )
        raw_issued = values.get("issued_at")
        if isinstance(raw_issued, datetime):
            raw_issued = utc_timestamp(raw_issued)
        issued_at = parse_timestamp(raw_issued if isinstance(raw_issued, str) else "", "issued_at")
        raw_level = values.get("level")
        kind, level = parse_kind_level(
            _loose_text(values, "kind"), raw_level if raw_level is not None else ""
        )
        noss_code = parse_noss_for_level(_loose_text(values, "noss_code"), kind, level)
        cert_no = parse_cert_no(_loose_text(values, "cert_no"))
        if (cert_no.kind, cert_no.level) != (kind, level):
            raise ValidationError(
                "record.cert_no_kind",
                "certificate number does not match kind and level",
                field="cert_no",
            )
        jpps_date = parse_iso_date(_loose_text(values, "jpps_date"), "jpps_date")
        if date.fromisoformat(jpps_date) > malaysian_date(issued_at):
            raise ValidationError(
                "record.issued_before_jpps",
                "a certificate cannot be issued before its JPPS meeting",
                field="issued_at",
            )
        supersedes: str | None = None
        if values.get("supersedes") not in (None, ""):
            supersedes = normalise_cert_no(_loose_text(values, "supersedes"))
            if supersedes == cert_no.text:
                raise ValidationError(
                    "record.supersedes_self",
                    "a certificate cannot supersede itself",
                    field="supersedes",
                )
        # The holder must have been born before the certificate was issued.  Judging that by
        # the issue time, not by today's date, keeps validation independent of any node's clock.
        holder = parse_mykad(
            _loose_text(values, "holder_ic"),
            strip_separators=True,
            today=malaysian_date(issued_at),
            field="holder_ic",
        )
        return cls(
            cert_no=cert_no.text,
            kind=kind,
            level=level,
            holder_name=normalise_name(_loose_text(values, "holder_name"), field="holder_name"),
            holder_ic=holder.number,
            noss_code=noss_code,
            programme_ms=normalise_text(
                _loose_text(values, "programme_ms"), field="programme_ms", max_len=200
            ),
            programme_en=normalise_text(
                _loose_text(values, "programme_en"), field="programme_en", max_len=200
            ),
            method=parse_method(_loose_text(values, "method")),
            centre_code=parse_centre_code(_loose_text(values, "centre_code")),
            centre_name=normalise_text(
                _loose_text(values, "centre_name"), field="centre_name", max_len=200
            ),
            jpps_ref=parse_jpps_ref(_loose_text(values, "jpps_ref")),
            jpps_date=jpps_date,
            issued_at=utc_timestamp(issued_at),
            supersedes=supersedes,
        )

    @classmethod
    def from_dict(cls, data: Any) -> CertificateRecord:
        """Accept a stored/transmitted record only if it is already in normal form.

        Every field, ``supersedes`` included (as null), must be present: two spellings of one
        record would give one certificate two encodings and two transaction ids.
        """
        if not isinstance(data, dict):
            raise ValidationError("record.type", "record must be an object")
        names = _FIELD_SET
        unknown = set(data) - names
        if unknown:
            raise ValidationError(
                "record.unknown_field", f"unknown field {sorted(unknown, key=str)[0]!r}"
            )
        missing = names - set(data)
        if missing:
            raise ValidationError(
                "record.missing_field",
                f"missing field {sorted(missing)[0]!r}",
                field=sorted(missing)[0],
            )
        if not isinstance(data["level"], int) or isinstance(data["level"], bool):
            raise ValidationError("record.level", "level must be an integer", field="level")
        for name in _TEXT_FIELDS:
            if not isinstance(data[name], str):
                raise ValidationError("record.type", f"{name} must be text", field=name)
        if data["supersedes"] is not None and not isinstance(data["supersedes"], str):
            raise ValidationError(
                "record.type", "supersedes must be text or null", field="supersedes"
            )
        record = _normal_record(cls, data)
        if record is not None:
            return record
        # Not provably normal by the quick checks: the full normalisation decides, and names
        # the problem exactly as it always has.
        return cls._from_dict_by_create(data)

    @classmethod
    def from_vouched(cls, data: dict[str, Any]) -> CertificateRecord:
        """The record of ``data`` without validating it: ONLY for a record ``from_dict`` has
        already accepted, byte for byte (see ``Transaction.decode_vouched``)."""
        record = object.__new__(cls)
        record.__dict__.update(data)
        return record

    @classmethod
    def _from_dict_by_create(cls, data: dict[str, Any]) -> CertificateRecord:
        """The reference check ``from_dict`` must agree with: normalise, then compare."""
        record = cls.create(**data)
        if record.to_dict() != data:
            raise ValidationError("record.not_normal", "record fields are not in normal form")
        return record

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: that deep-copies every value, and records are flat.
        return {f: getattr(self, f) for f in FIELDS}

    def encode(self) -> bytes:
        return canonical.encode(self.to_dict())

    @property
    def kind_title_ms(self) -> str:
        return KIND_TITLES[self.kind][0]

    @property
    def kind_title_en(self) -> str:
        return KIND_TITLES[self.kind][1]


# --- the quick check of ``from_dict`` ------------------------------------------------------------
# Every node decodes every transaction, so ``from_dict`` is on the hot path of the chain. It
# used to rebuild the record through ``create`` and compare dicts; ``_normal_record`` instead
# asks each field's validator whether the value is already exactly what ``create`` would make
# of it. It only ever *accepts*: whenever it cannot prove a field normal it answers None and
# ``from_dict`` falls back to ``create`` + compare, so every refusal (and its code) is the
# reference one. The memoised helpers take only short keys (each refuses anything longer before
# the cache), so a hostile transaction cannot fill the caches with megabyte strings.


def _normal_record(cls: type[CertificateRecord], data: dict[str, Any]) -> CertificateRecord | None:
    """The record of ``data`` if every field is provably in the form ``create`` gives it."""
    issued_on = _normal_batch_fields(data)
    if issued_on is None:
        return None
    kind, level = data["kind"], data["level"]
    cert_no = parse_normal_cert_no(data["cert_no"])
    if cert_no is None or cert_no.kind != kind or cert_no.level != level:
        return None
    supersedes = data["supersedes"]
    if supersedes is not None and (supersedes == data["cert_no"] or parse_normal_cert_no(supersedes) is None):
        return None  # "" and every spelling but the normal one fail parse_normal_cert_no
    if not (_normal_mykad(data["holder_ic"], issued_on) and is_normal_name(data["holder_name"], field="holder_name")):
        return None
    # Every field was just proved to be what ``create`` would store, so the frozen dataclass
    # __init__ (one object.__setattr__ per field, a tenth of this check) has nothing to add.
    record = object.__new__(cls)
    record.__dict__.update(data)
    return record


#: The text fields a JPPS batch shares between its rows (one programme at one centre, one
#: meeting, one signing time): checked together with the level, once per distinct combination.
_batch_texts: Final = itemgetter("kind", "method", "noss_code", "programme_ms", "programme_en", "centre_code",
                                 "centre_name", "jpps_ref", "jpps_date", "issued_at")
#: The sum of the longest normal forms of those fields: longer values are not all normal, and
#: never reach the cache, so its memory stays bounded.
_BATCH_TEXTS_MAX: Final = 4 + 5 + NOSS_MAX_LEN + 200 + 200 + 20 + 200 + 64 + 10 + 20


def _normal_batch_fields(data: dict[str, Any]) -> date | None:
    """The Malaysian date of issue, if the batch fields are all normal and the meeting date is
    not after it; None otherwise."""
    texts = _batch_texts(data)
    if sum(map(len, texts)) > _BATCH_TEXTS_MAX:
        return None
    return _normal_batch_fields_cached(data["level"], *texts)


@lru_cache(maxsize=1024, typed=True)  # a batch shares them; a node sees a few batches at a time
def _normal_batch_fields_cached(level: int, kind: str, method: str, noss_code: str, programme_ms: str,
                                programme_en: str, centre_code: str, centre_name: str, jpps_ref: str,
                                jpps_date: str, issued_at: str) -> date | None:
    if level not in LEVELS_BY_KIND.get(kind, ()) or method not in METHODS:
        return None
    if not (
        CENTRE_CODE.fullmatch(centre_code)  # upper-case, no spaces: strip/upper keep it
        and _is_normal_value(parse_jpps_ref, jpps_ref)
        and _is_normal_value(parse_noss_for_level, noss_code, kind, level)
        and is_normal_text(programme_ms, field="programme_ms", max_len=200)
        and is_normal_text(programme_en, field="programme_en", max_len=200)
        and is_normal_text(centre_name, field="centre_name", max_len=200)
        and _is_normal_value(parse_iso_date, jpps_date, "jpps_date")
    ):
        return None
    try:
        moment = parse_timestamp(issued_at, "issued_at")
    except ValidationError:
        return None
    issued_on = malaysian_date(moment)
    # Round trip: e.g. year 0999 would be written back differently by strftime.
    if utc_timestamp(moment) != issued_at or date.fromisoformat(jpps_date) > issued_on:
        return None
    return issued_on


def _is_normal_value(parse: Any, text: str, *args: Any) -> bool:
    try:
        return bool(parse(text, *args) == text)
    except ValidationError:
        return False


def _normal_mykad(text: str, issued_on: date) -> bool:
    try:
        return parse_mykad(text, strip_separators=True, today=issued_on, field="holder_ic").number == text
    except ValidationError:
        return False
