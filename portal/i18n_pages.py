"""Page texts for status, PDF check, candidate accounts and error pages (see ``portal.i18n``)."""

from __future__ import annotations

from typing import Final

PAGES: Final[dict[str, tuple[str, str]]] = {
    # --- generation status ----------------------------------------------------------------
    "status.title": ("Semakan Status Penjanaan Sijil", "Certificate Generation Status"),
    "status.lead": ("Sijil Elektronik SKM/DKM/DLKM/PC dijana dalam tempoh empat belas (14) hari bekerja "
                    "selepas tarikh Mesyuarat Jawatankuasa Pengesahan Persijilan SPKM (JPPS).",
                    "SKM/DKM/DLKM/PC electronic certificates are generated within fourteen (14) working days "
                    "after the date of the SPKM Certification Confirmation Committee (JPPS) meeting."),
    "status.button": ("SEMAK STATUS", "CHECK STATUS"),
    "status.pending": ("Diluluskan JPPS, belum dijana", "Approved by JPPS, not generated yet"),
    "status.generated": ("Telah dijana", "Generated"),
    "status.none": ("Tiada rekod kelulusan JPPS atau sijil bagi No. Kad Pengenalan ini.",
                    "No JPPS approval or certificate was found for this MyKad number."),
    "status.nothing_pending": ("Tiada sijil yang menunggu penjanaan.", "No certificate is waiting to be generated."),
    "status.deadline": ("Tarikh akhir penjanaan", "Generation deadline"),
    "status.overdue": ("LEWAT: melepasi tarikh akhir", "OVERDUE: past the deadline"),
    "status.days_left": ("{n} hari bekerja lagi", "{n} working day(s) left"),
    "status.due_today": ("Tarikh akhir ialah hari ini", "The deadline is today"),
    "status.generated_on": ("Dijana pada", "Generated on"),
    "status.on_time": ("Dalam tempoh", "On time"),
    "status.late": ("Lewat", "Late"),
    "status.meeting_title": ("Status Mesyuarat JPPS", "JPPS Meeting Status"),
    "status.meeting_button": ("SEMAK MESYUARAT", "CHECK MEETING"),
    "jpps.title": ("Status Mesyuarat JPPS: {ref}", "JPPS Meeting Status: {ref}"),
    "jpps.date": ("Tarikh mesyuarat", "Meeting date"),
    "jpps.state": ("Negeri", "State"),
    "jpps.deadline": ("Tarikh akhir penjanaan (14 hari bekerja)", "Generation deadline (14 working days)"),
    "jpps.approved": ("Calon diluluskan", "Candidates approved"),
    "jpps.generated": ("Sijil telah dijana", "Certificates generated"),
    "jpps.pending": ("Belum dijana", "Not generated yet"),
    "jpps.overdue": ("Lewat (melepasi tarikh akhir)", "Overdue (past the deadline)"),
    "jpps.parts": ("Bahagian senarai diterima", "Parts of the list received"),
    "jpps.parts_n": ("{got} daripada {total}", "{got} of {total}"),
    "jpps.not_found": ("Tiada mesyuarat JPPS dengan rujukan ini dalam rantaian.",
                       "There is no JPPS meeting with this reference on the chain."),
    # --- PDF check ------------------------------------------------------------------------
    "pdf.title": ("Semakan Fail PDF Sijil", "Certificate PDF Check"),
    "pdf.lead": ("Muat naik fail PDF sijil elektronik. Fail dibandingkan bait demi bait dengan sijil yang "
                 "dijana semula daripada rekod dalam rantaian blok; sebarang pengubahsuaian dikesan.",
                 "Upload an electronic certificate PDF. The file is compared byte for byte with the certificate "
                 "re-generated from the record on the blockchain; any alteration is detected."),
    "pdf.button": ("SEMAK PDF", "CHECK PDF"),
    "pdf.result": ("Keputusan semakan", "Result of the check"),
    "pdf.details": ("Butiran teknikal (Bahasa Inggeris)", "Technical details"),
    "pdf.cert_link": ("Halaman pengesahan sijil {cert_no}", "Verification page of certificate {cert_no}"),
    "pdf.record_link": ("Lihat rekod sebenar sijil {cert_no} dalam rantaian blok",
                        "See the genuine record of certificate {cert_no} on the blockchain"),
    "pdf.verdict.authentic": ("TULEN DAN SAH", "AUTHENTIC AND VALID"),
    "pdf.verdict.revoked": ("TULEN TETAPI DIBATALKAN", "GENUINE BUT REVOKED"),
    "pdf.verdict.superseded": ("TULEN TETAPI DIGANTIKAN", "GENUINE BUT SUPERSEDED"),
    "pdf.verdict.edited": ("TELAH DIUBAH SUAI", "ALTERED"),
    "pdf.verdict.not_ours": ("BUKAN SIJIL SPKM", "NOT AN SPKM CERTIFICATE"),
    "pdf.verdict.not_pdf": ("BUKAN FAIL PDF", "NOT A PDF FILE"),
    "pdf.verdict.unreadable": ("TIDAK DAPAT DIBACA", "UNREADABLE"),
    # --- accounts ---------------------------------------------------------------------------
    "register.title": ("Daftar Pengguna Baru", "Register as a New User"),
    "register.lead": ("Anda memerlukan No. Kad Pengenalan dan kod pengaktifan yang diberikan oleh pusat "
                      "bertauliah bersama keputusan JPPS. No. Kad Pengenalan sahaja tidak mencukupi.",
                      "You need your MyKad number and the activation code your training centre gave you with "
                      "the JPPS result. A MyKad number alone is not enough."),
    "register.button": ("DAFTAR", "REGISTER"),
    "register.done": ("Akaun anda telah didaftarkan. Sila Daftar Masuk.",
                      "Your account has been registered. Please log in."),
    "register.have_account": ("Sudah berdaftar?", "Already registered?"),
    "login.title": ("Log Masuk", "Log In"),
    "login.lead": ("Masukkan ID Pengguna (No. Kad Pengenalan) dan Kata Laluan, kemudian klik butang Daftar Masuk.",
                   "Enter your user ID (MyKad number) and password, then press Log In."),
    "login.button": ("Daftar Masuk", "Log In"),
    "login.no_account": ("Belum berdaftar?", "Not registered yet?"),
    "login.logged_out": ("Anda telah log keluar.", "You have logged out."),
    "login.required": ("Sila Daftar Masuk untuk meneruskan.", "Please log in to continue."),
    "profile.title": ("Profil", "Profile"),
    "profile.list": ("Senarai Maklumat Sijil/ Diploma/ Diploma Lanjutan Kemahiran Malaysia (Termasuk VTO/E/M)",
                     "Malaysian Skills Certificates/ Diplomas/ Advanced Diplomas (including VTO/E/M)"),
    "profile.email": ("E-mel berdaftar", "Registered email"),
    "profile.none": ("Tiada sijil dalam rantaian untuk akaun ini lagi.", "No certificate on the chain for this "
                     "account yet."),
    "profile.print_ms": ("Cetak Sijil (Bahasa Melayu)", "Print Certificate (Malay)"),
    "profile.print_en": ("Cetak Sijil (English)", "Print Certificate (English)"),
    "profile.print_hint": ("Sijil elektronik dimuat turun dalam format PDF dan hanya boleh dicetak atas kertas "
                           "A4 berwarna putih.",
                           "The electronic certificate downloads as a PDF and may only be printed on white A4 "
                           "paper."),
    "profile.not_printable": ("Sijil ini tidak boleh dicetak kerana statusnya {status}.",
                              "This certificate cannot be printed because it is {status}."),
    "profile.password_title": ("Tukar Kata Laluan", "Change Password"),
    "profile.password_button": ("TUKAR KATA LALUAN", "CHANGE PASSWORD"),
    "profile.password_done": ("Kata laluan anda telah ditukar.", "Your password has been changed."),
    "profile.pdf_failed": ("Sijil ini tidak dapat dijana sebagai PDF: {detail}",
                           "This certificate cannot be rendered as a PDF: {detail}"),
    # --- error pages -----------------------------------------------------------------------
    "error.title": ("Ralat", "Error"),
    "error.400": ("Permintaan tidak sah", "Bad request"),
    "error.403": ("Akses ditolak", "Access denied"),
    "error.404": ("Halaman tidak dijumpai", "Page not found"),
    "error.404_text": ("Alamat ini tidak wujud pada portal ini.", "This address does not exist on this portal."),
    "error.405": ("Kaedah tidak dibenarkan", "Method not allowed"),
    "error.405_text": ("Halaman ini tidak menerima permintaan sebegini.", "This page does not accept this request."),
    "error.411": ("Panjang data diperlukan", "Length required"),
    "error.413": ("Data terlalu besar", "Too large"),
    "error.429": ("Terlalu banyak permintaan", "Too many requests"),
    "error.429_text": ("Anda telah membuat terlalu banyak semakan dalam masa yang singkat. Sila tunggu {seconds} "
                       "saat dan cuba lagi.",
                       "You have made too many checks in a short time. Please wait {seconds} seconds and try "
                       "again."),
    "error.500": ("Ralat dalaman", "Internal error"),
    "error.500_text": ("Maaf, berlaku ralat pada nod ini. Pengendali telah dimaklumkan melalui log. Cuba nod lain.",
                       "Sorry, something went wrong on this node. The operator has been told in the log. Try "
                       "another node."),
    "error.503": ("Nod ini tidak dapat mengesahkan ia terkini", "This node cannot confirm it is up to date"),
    "error.503_text": ("Nod ini tidak berada dalam kuorum rantaian blok buat masa ini, jadi jawapannya mungkin "
                       "tidak terkini. Cuba salah satu nod lain di bawah, atau cuba lagi sebentar.",
                       "This node is not part of a blockchain quorum at the moment, so its answer might be out of "
                       "date. Try one of the other nodes below, or try again in a moment."),
    "error.other_nodes": ("Nod lain", "Other nodes"),
    "error.cert_bad_title": ("No. sijil tersalah taip", "Mistyped certificate number"),
    "error.cert_unknown_title": ("Sijil tidak dijumpai", "Certificate not found"),
    "error.cert_unknown": ("Tiada sijil dengan nombor {cert_no} dalam rantaian blok SPKM. Semak nombor itu "
                           "sekali lagi; sijil palsu tidak akan dijumpai di sini.",
                           "There is no certificate numbered {cert_no} on the SPKM blockchain. Check the number "
                           "again; a forged certificate will not be found here."),
    "error.not_yours": ("Sijil ini bukan milik akaun anda.", "This certificate does not belong to your account."),
    "error.bad_lang": ("Bahasa mesti ms atau en.", "The language must be ms or en."),
}
