"""Wording of template 2026.1, in Malay and English.

Part of the released template: changing a word here changes every certificate's bytes and
would make every PDF printed with 2026.1 fail verification. Reword in a new template.
Malay terms follow the department's guideline (SKM, DKM, DLKM, PC, JPPS, SLaPB, PPT, SLDN).
"""

from __future__ import annotations

from datetime import date
from typing import Final

# Copied, not imported, from certificate.record: the template must not change if those do.
KIND_TITLES: Final = {
    "SKM": ("Sijil Kemahiran Malaysia", "Malaysian Skills Certificate"),
    "DKM": ("Diploma Kemahiran Malaysia", "Malaysian Skills Diploma"),
    "DLKM": ("Diploma Lanjutan Kemahiran Malaysia", "Malaysian Advanced Skills Diploma"),
    "PC": ("Penyata Pencapaian", "Statement of Achievement"),
}
METHOD_TITLES: Final = {
    "SLaPB": ("Sistem Latihan Program Bertauliah", "Accredited Centre Training"),
    "PPT": ("Pengiktirafan Pencapaian Terdahulu", "Recognition of Prior Achievement"),
    "SLDN": ("Sistem Latihan Dual Nasional", "National Dual Training System"),
}
MONTHS: Final = {
    "ms": ("Januari", "Februari", "Mac", "April", "Mei", "Jun", "Julai", "Ogos", "September",
           "Oktober", "November", "Disember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

TEXT: Final[dict[str, dict[str, str]]] = {
    "ms": {
        "dept": "JABATAN PEMBANGUNAN KEMAHIRAN",
        "ministry": "KEMENTERIAN SUMBER MANUSIA",
        "level": "TAHAP {level}",
        "certify": "Dengan ini disahkan bahawa",
        "ic": "No. MyKad {ic}",
        "award.SKM": "telah dianugerahkan sijil ini dalam bidang",
        "award.DKM": "telah dianugerahkan diploma ini dalam bidang",
        "award.DLKM": "telah dianugerahkan diploma lanjutan ini dalam bidang",
        "award.PC": "telah dianugerahkan penyata ini atas pencapaiannya dalam bidang",
        "noss": "Kod NOSS {noss}",
        "method": "melalui {method} ({abbr}) di",
        "centre": "{name} ({code})",
        "approved": "sebagaimana yang diluluskan oleh Jawatankuasa Pengesahan Pensijilan SPKM "
                    "(JPPS) pada {date}",
        "signatory": "Ketua Pengarah Pembangunan Kemahiran",
        "signatory_org": "Jabatan Pembangunan Kemahiran, Kementerian Sumber Manusia",
        "cert_no": "NO. SIJIL",
        "jpps_ref": "Rujukan mesyuarat: {ref}",
        "scan": "Imbas kod QR untuk menyemak ketulenan sijil ini di",
        "electronic": "Sijil elektronik ini dijana oleh komputer; tandatangan tidak diperlukan.",
        "footer": "Direkodkan dalam rantaian blok SPKM · blok {height} · cincangan {hash} · "
                  "templat {version}",
        "doc_title": "{kind} Tahap {level}: {name}",
        "author": "Jabatan Pembangunan Kemahiran, Kementerian Sumber Manusia",
    },
    "en": {
        "dept": "JABATAN PEMBANGUNAN KEMAHIRAN",
        "ministry": "DEPARTMENT OF SKILLS DEVELOPMENT · MINISTRY OF HUMAN RESOURCES",
        "level": "LEVEL {level}",
        "certify": "This is to certify that",
        "ic": "MyKad No. {ic}",
        "award.SKM": "has been awarded this certificate in",
        "award.DKM": "has been awarded this diploma in",
        "award.DLKM": "has been awarded this advanced diploma in",
        "award.PC": "has been awarded this statement for achievement in",
        "noss": "NOSS code {noss}",
        "method": "through {method} ({abbr}) at",
        "centre": "{name} ({code})",
        "approved": "as approved by the SPKM Certification Endorsement Committee (JPPS) "
                    "on {date}",
        "signatory": "Director General of Skills Development",
        "signatory_org": "Department of Skills Development, Ministry of Human Resources",
        "cert_no": "CERTIFICATE NO.",
        "jpps_ref": "Meeting reference: {ref}",
        "scan": "Scan the QR code to verify this certificate at",
        "electronic": "This electronic certificate is computer generated; no signature is required.",
        "footer": "Recorded on the SPKM blockchain · block {height} · hash {hash} · "
                  "template {version}",
        "doc_title": "{kind} Level {level}: {name}",
        "author": "Department of Skills Development, Ministry of Human Resources",
    },
}


def long_date(iso: str, lang: str) -> str:
    """'2026-11-27' -> '27 November 2026' (Malay: '27 Disember 2026')."""
    d = date.fromisoformat(iso)
    return f"{d.day} {MONTHS[lang][d.month - 1]} {d.year}"


def kind_title(kind: str, lang: str) -> str:
    return KIND_TITLES[kind][0 if lang == "ms" else 1]


def method_title(method: str, lang: str) -> str:
    return METHOD_TITLES[method][0 if lang == "ms" else 1]


def mykad_display(ic: str) -> str:
    """MyKad numbers are printed as YYMMDD-PB-###G, as on the card itself."""
    return f"{ic[:6]}-{ic[6:8]}-{ic[8:]}"
