"""Every released certificate template, by version.

A PDF names the template it was printed with, and verification re-renders it with that same
template, so a version once listed here stays here, unchanged, for as long as certificates
printed with it may be presented. To change the design: add ``vYYYY_N.py`` beside the old
modules, register it below and move ``CURRENT_TEMPLATE``; never edit a released module.
"""

from __future__ import annotations

from typing import Final

from certificate.pdf.templates import v2026_1
from certificate.pdf.templates.base import LANGS, DocumentMeta, Lang, RenderInput, Template

TEMPLATES: Final[dict[str, Template]] = {
    v2026_1.VERSION: v2026_1.TEMPLATE,
}
CURRENT_TEMPLATE: Final = "2026.1"

__all__ = ["CURRENT_TEMPLATE", "LANGS", "TEMPLATES", "DocumentMeta", "Lang", "RenderInput", "Template"]
