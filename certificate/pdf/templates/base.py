"""What a certificate template is, and what it is given to draw.

A template is a released, frozen design: its fonts (pinned by SHA-256), its wording, its
layout. PDFs printed years ago are verified by re-rendering them with the template version
they name, so a released template is never edited; a new design is a new module registered
beside the old ones in ``certificate.pdf.templates``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from certificate.pdf.canvas import Canvas
from certificate.pdf.fontfiles import FontFile
from certificate.pdf.textlayout import FontSet
from certificate.proof import CertificateProof
from certificate.record import CertificateRecord

Lang = Literal["ms", "en"]
LANGS: tuple[Lang, ...] = ("ms", "en")


@dataclass(frozen=True)
class RenderInput:
    """Everything a template may put on the page; nothing else (no clock, no machine state)."""

    record: CertificateRecord
    proof: CertificateProof
    lang: Lang
    base_url: str

    @property
    def verify_url(self) -> str:
        return f"{self.base_url}/sijil/{self.record.cert_no}"

    @property
    def block_height(self) -> int:
        return self.proof.header.height

    @property
    def block_hash(self) -> str:
        return self.proof.header.hash.hex()


@dataclass(frozen=True)
class DocumentMeta:
    """Document-level metadata written to the Info dictionary and the XMP packet."""

    title: str
    subject: str
    keywords: tuple[str, ...]
    author: str
    creator: str
    lang: str


@dataclass(frozen=True)
class Template:
    version: str
    page_size: tuple[str, str]  # exact PDF numbers, e.g. ("595.28", "841.89")
    fonts: Mapping[str, FontFile]
    fallbacks: tuple[str, ...]
    # which record fields are drawn, and in which primary font: what check_renderable checks
    field_fonts: Mapping[str, str]
    draw: Callable[[Canvas, FontSet, RenderInput], None]
    metadata: Callable[[RenderInput], DocumentMeta]

    def fontset(self) -> FontSet:
        return FontSet(self.fonts, self.fallbacks)
