"""Every word the portal shows, in Malay (the default) and English.

Templates hold markup only: each visible string is ``t("key")``, so a missing translation is a
``KeyError`` in a test, not an English word on a Malay page. Malay follows the wording of the
department's guideline (Platform Awam, Semakan Sijil/Diploma/Diploma Lanjutan, SEMAK SKM, Cetak
Sijil, Daftar Pengguna Baru, Daftar Masuk, Simpan/Cetak), so candidates recognise the steps.

Values are ``(malay, english)``; ``{name}`` fields are filled with ``str.format`` and the result
is escaped by Jinja like any other value (never marked safe).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

from portal.i18n_messages import MESSAGES

Lang = Literal["ms", "en"]
LANGS: Final[tuple[Lang, ...]] = ("ms", "en")
DEFAULT_LANG: Final[Lang] = "ms"

UI: Final[dict[str, tuple[str, str]]] = {
    # --- frame ----------------------------------------------------------------------------
    "site.name": ("eSijil SPKM", "SPKM eCertificate"),
    "site.system": ("Sistem Persijilan Kemahiran Malaysia", "Malaysian Skills Certification System"),
    "site.department": ("Jabatan Pembangunan Kemahiran", "Department of Skills Development"),
    "site.badge": ("SPKM", "SPKM"),
    "site.skip": ("Langkau ke kandungan utama", "Skip to main content"),
    "site.nav_label": ("Menu utama", "Main menu"),
    "site.lang_label": ("Bahasa", "Language"),
    "lang.ms": ("Bahasa Melayu", "Bahasa Melayu"),
    "lang.en": ("English", "English"),
    "nav.home": ("Platform Awam", "Public Platform"),
    "nav.semak": ("Semakan Sijil", "Certificate Check"),
    "nav.pdf": ("Semak PDF", "Check a PDF"),
    "nav.status": ("Status Penjanaan", "Generation Status"),
    "nav.login": ("Log Masuk", "Log In"),
    "nav.register": ("Daftar Pengguna Baru", "Register as a New User"),
    "nav.profile": ("Profil", "Profile"),
    "nav.logout": ("Log Keluar", "Log Out"),
    "nav.user": ("Pengguna", "User"),
    "footer.node": ("Nod: {name}", "Node: {name}"),
    "footer.height": ("Ketinggian rantaian: {height}", "Chain height: {height}"),
    "footer.healthy": ("Kuorum: sihat", "Quorum: healthy"),
    "footer.unhealthy": ("Kuorum: TIDAK sihat (nod ini tidak dalam kuorum)",
                         "Quorum: NOT healthy (this node is not in a quorum)"),
    "footer.about": ("Sijil elektronik SPKM direkodkan dalam rantaian blok berizin yang dikendalikan "
                     "bersama oleh beberapa agensi kerajaan: selamat, boleh disahkan, kalis gangguan.",
                     "SPKM electronic certificates are recorded on a permissioned blockchain run "
                     "jointly by several government agencies: secure, verifiable, tamper-evident."),
    "footer.api": ("API JSON", "JSON API"),
    "common.back_home": ("Kembali ke Platform Awam", "Back to the Public Platform"),
    "common.try_again": ("Cuba lagi", "Try again"),
    "common.error_summary": ("Sila betulkan perkara berikut:", "Please correct the following:"),
    "common.yes": ("Ya", "Yes"),
    "common.no": ("Tidak", "No"),
    "common.none": ("—", "—"),
    "month.1": ("Januari", "January"),
    "month.2": ("Februari", "February"),
    "month.3": ("Mac", "March"),
    "month.4": ("April", "April"),
    "month.5": ("Mei", "May"),
    "month.6": ("Jun", "June"),
    "month.7": ("Julai", "July"),
    "month.8": ("Ogos", "August"),
    "month.9": ("September", "September"),
    "month.10": ("Oktober", "October"),
    "month.11": ("November", "November"),
    "month.12": ("Disember", "December"),
    "common.checked_at": ("Disemak pada {when} melalui nod {node}.", "Checked on {when} through node {node}."),
    # --- fields -----------------------------------------------------------------------------
    "field.ic": ("No. Kad Pengenalan (MyKad)", "MyKad (identity card) number"),
    "field.ic_hint": ("12 digit tanpa sengkang (-), contoh: 900101141234",
                      "12 digits without dashes (-), for example 900101141234"),
    "field.user_id": ("ID Pengguna (No. Kad Pengenalan)", "User ID (MyKad number)"),
    "field.password": ("Kata Laluan", "Password"),
    "field.password_hint": ("Sekurang-kurangnya 10 aksara.", "At least 10 characters."),
    "field.password2": ("Sahkan Kata Laluan", "Confirm password"),
    "field.current_password": ("Kata Laluan Semasa", "Current password"),
    "field.new_password": ("Kata Laluan Baharu", "New password"),
    "field.email": ("E-mel", "Email"),
    "field.email_hint": ("Untuk makluman berkaitan akaun anda.", "For notices about your account."),
    "field.activation_code": ("Kod Pengaktifan", "Activation code"),
    "field.activation_hint": ("16 aksara seperti pada slip daripada pusat bertauliah, contoh ABCD-EFGH-JKLM-1234.",
                              "16 characters as on the slip from your training centre, e.g. ABCD-EFGH-JKLM-1234."),
    "field.cert_no": ("No. Sijil", "Certificate number"),
    "field.cert_no_hint": ("Contoh: SKM3-26-7H3K9P2M-X (seperti pada sijil atau kod QR).",
                           "For example SKM3-26-7H3K9P2M-X (as on the certificate or its QR code)."),
    "field.jpps_ref": ("Rujukan Mesyuarat JPPS", "JPPS meeting reference"),
    "field.jpps_ref_hint": ("Contoh: JPPS/2026/11", "For example JPPS/2026/11"),
    "field.pdf": ("Fail PDF sijil", "Certificate PDF file"),
    "field.pdf_hint": ("Fail PDF sijil elektronik SPKM, maksimum {mb} MB.",
                       "An SPKM electronic certificate PDF, at most {mb} MB."),
    # --- home -------------------------------------------------------------------------------
    "home.title": ("Platform Awam", "Public Platform"),
    "home.lead": ("Rekod Persijilan Kemahiran Malaysia: semak ketulenan sijil elektronik SKM, DKM, DLKM "
                  "dan PC yang dikeluarkan oleh Jabatan Pembangunan Kemahiran.",
                  "Malaysian Skills Certification Records: check the authenticity of SKM, DKM, DLKM and PC "
                  "electronic certificates issued by the Department of Skills Development."),
    "home.records": ("Rekod Persijilan Kemahiran Malaysia", "Malaysian Skills Certification Records"),
    "home.semak_title": ("Semakan Sijil/Diploma/Diploma Lanjutan", "Certificate/Diploma/Advanced Diploma Check"),
    "home.semak_text": ("Masukkan No. Kad Pengenalan tanpa tanda (-) dan tekan butang SEMAK SKM.",
                        "Enter the MyKad number without dashes (-) and press CHECK SKM."),
    "home.status_title": ("Semakan Status Penjanaan Sijil", "Certificate Generation Status"),
    "home.status_text": ("Sijil dijana dalam tempoh empat belas (14) hari bekerja selepas tarikh mesyuarat JPPS.",
                         "Certificates are generated within fourteen (14) working days after the JPPS meeting."),
    "home.pdf_title": ("Semakan Fail PDF Sijil", "Certificate PDF Check"),
    "home.pdf_text": ("Muat naik fail PDF sijil untuk memastikan ia tulen dan tidak diubah suai.",
                      "Upload a certificate PDF to confirm it is genuine and unaltered."),
    "home.qr_title": ("Semakan No. Sijil / Kod QR", "Certificate Number / QR Code Check"),
    "home.qr_text": ("Kod QR pada sijil membawa anda terus ke halaman pengesahannya. Anda juga boleh "
                     "menaip nombor sijil di sini.",
                     "The QR code on a certificate leads straight to its verification page. You can also "
                     "type the certificate number here."),
    "home.candidate_title": ("Calon: cetak sijil anda", "Candidates: print your certificate"),
    "home.candidate_text": ("Daftar Pengguna Baru dengan kod pengaktifan daripada pusat bertauliah, kemudian "
                            "Daftar Masuk untuk mencetak sijil dalam Bahasa Melayu atau Bahasa Inggeris.",
                            "Register as a new user with the activation code from your training centre, then "
                            "log in to print your certificate in Malay or in English."),
    "button.open": ("Buka", "Open"),
    "button.go_cert": ("SEMAK NO. SIJIL", "CHECK CERTIFICATE NO."),
    # --- semak ------------------------------------------------------------------------------
    "semak.title": ("Semakan Sijil/Diploma/Diploma Lanjutan", "Certificate/Diploma/Advanced Diploma Check"),
    "semak.lead": ("Masukkan No. Kad Pengenalan tanpa tanda (-) dan tekan butang SEMAK SKM. Maklumat sijil "
                   "calon akan dipaparkan bagi tujuan pengesahan.",
                   "Enter the MyKad number without dashes (-) and press CHECK SKM. The candidate's "
                   "certificates are shown for verification."),
    "semak.privacy": ("No. Kad Pengenalan dihantar dalam borang, tidak dalam alamat (URL) halaman, dan "
                      "dipaparkan sebahagiannya sahaja.",
                      "The MyKad number is sent in the form, never in the page address (URL), and is shown "
                      "only in part."),
    "semak.button": ("SEMAK SKM", "CHECK SKM"),
    "semak.results": ("Maklumat Sijil Calon", "Candidate's Certificates"),
    "semak.holder": ("Nama", "Name"),
    "semak.ic_masked": ("No. Kad Pengenalan", "MyKad number"),
    "semak.count": ("{n} rekod dijumpai.", "{n} record(s) found."),
    "semak.none": ("Tiada sijil dijumpai bagi No. Kad Pengenalan ini.",
                   "No certificate was found for this MyKad number."),
    "semak.none_hint": ("Sijil dijana dalam tempoh 14 hari bekerja selepas mesyuarat JPPS. Semak status "
                        "penjanaan jika keputusan anda baru diluluskan.",
                        "Certificates are generated within 14 working days after the JPPS meeting. Check the "
                        "generation status if your result was approved recently."),
    "semak.print_title": ("Simpan/Cetak", "Save/Print"),
    "semak.print_text": ("Gunakan fungsi cetak pelayar anda (Ctrl+P, atau ⌘+P pada Mac) dan pilih \"Simpan "
                         "sebagai PDF\" untuk menyimpan. Halaman ini dicetak tanpa menu dan borang.",
                         "Use your browser's print function (Ctrl+P, or ⌘+P on a Mac) and choose \"Save as "
                         "PDF\" to save. The page prints without menus and forms."),
    # --- certificate fields ----------------------------------------------------------------
    "cert.kind": ("Jenis", "Kind"),
    "cert.level": ("Tahap", "Level"),
    "cert.level_n": ("Tahap {n}", "Level {n}"),
    "cert.programme": ("Program", "Programme"),
    "cert.noss": ("Kod NOSS", "NOSS code"),
    "cert.centre": ("Pusat Bertauliah", "Accredited centre"),
    "cert.method": ("Kaedah", "Method"),
    "cert.jpps_ref": ("Rujukan JPPS", "JPPS reference"),
    "cert.jpps_date": ("Tarikh JPPS", "JPPS date"),
    "cert.issued_at": ("Tarikh dijana", "Generated on"),
    "cert.cert_no": ("No. Sijil", "Certificate no."),
    "cert.status": ("Status", "Status"),
    "cert.block": ("Blok", "Block"),
    "cert.block_n": ("#{n}", "#{n}"),
    "cert.holder": ("Nama Pemegang", "Holder's name"),
    "cert.holder_ic": ("No. Kad Pengenalan", "MyKad number"),
    "cert.supersedes": ("Menggantikan sijil", "Replaces certificate"),
    "cert.superseded_by": ("Digantikan oleh", "Replaced by"),
    "status.valid": ("SAH", "VALID"),
    "status.revoked": ("DIBATALKAN", "REVOKED"),
    "status.superseded": ("DIGANTIKAN", "SUPERSEDED"),
    # --- sijil (one certificate) -----------------------------------------------------------
    "sijil.title": ("Pengesahan Sijil {cert_no}", "Verification of Certificate {cert_no}"),
    "sijil.valid": ("Sijil ini SAH: ia direkodkan dalam rantaian blok SPKM dan tidak dibatalkan.",
                    "This certificate is VALID: it is recorded on the SPKM blockchain and has not been revoked."),
    "sijil.revoked": ("Sijil ini telah DIBATALKAN pada {date} dan tidak lagi sah.",
                      "This certificate was REVOKED on {date} and is no longer valid."),
    "sijil.revoked_reason": ("Sebab pembatalan: {reason}", "Reason for revocation: {reason}"),
    "sijil.superseded": ("Sijil ini telah DIGANTIKAN oleh sijil yang lebih baharu dan tidak lagi digunakan.",
                         "This certificate has been SUPERSEDED by a newer certificate and is no longer in use."),
    "sijil.replacement": ("Lihat sijil pengganti: {cert_no}", "See the replacement certificate: {cert_no}"),
    "sijil.record": ("Maklumat sijil", "Certificate record"),
    "sijil.proof": ("Butiran bukti rantaian blok (untuk pakar)", "Blockchain proof details (for experts)"),
    "sijil.proof_text": ("Bukti ini boleh disemak di luar talian dengan kunci awam nod dalam fail genesis.",
                         "This proof can be checked offline with the node public keys of the genesis file."),
    "proof.height": ("Ketinggian blok", "Block height"),
    "proof.block_hash": ("Cincangan blok", "Block hash"),
    "proof.block_time": ("Masa blok (UTC)", "Block time (UTC)"),
    "proof.tx_id": ("ID transaksi", "Transaction id"),
    "proof.index": ("Kedudukan dalam blok", "Position in block"),
    "proof.path_len": ("Panjang laluan Merkle", "Merkle path length"),
    "proof.merkle_root": ("Akar Merkle", "Merkle root"),
    "proof.issuer": ("Kunci pengeluar", "Issuer key"),
    "proof.proposer": ("Pencadang blok", "Block proposer"),
    "proof.chain_id": ("ID rantaian", "Chain id"),
    "sijil.vc": ("Kelayakan Boleh Disahkan W3C (JSON)", "W3C Verifiable Credential (JSON)"),
    "sijil.json": ("Rekod dan bukti (JSON)", "Record and proof (JSON)"),
    "sijil.lookup_title": ("Semak No. Sijil", "Check a certificate number"),
}


def _merged() -> dict[str, tuple[str, str]]:
    from portal.i18n_pages import PAGES

    out = dict(UI)
    for table in (PAGES, MESSAGES):
        clash = set(out) & set(table)
        if clash:  # pragma: no cover - caught by the first import in any test
            raise RuntimeError(f"translation keys defined twice: {sorted(clash)}")
        out.update(table)
    return out


TEXT: Final[dict[str, tuple[str, str]]] = _merged()


def normal_lang(value: str | None) -> Lang | None:
    if value == "ms":
        return "ms"
    if value == "en":
        return "en"
    return None


def t(key: str, lang: Lang, **params: Any) -> str:
    """The text for ``key`` in ``lang``; an unknown key raises KeyError (tests render every page)."""
    text = TEXT[key][0 if lang == "ms" else 1]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    return key in TEXT


def translator(lang: Lang) -> Callable[..., str]:
    def tr(key: str, **params: Any) -> str:
        return t(key, lang, **params)

    return tr
