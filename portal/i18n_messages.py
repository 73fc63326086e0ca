"""Refusal messages by machine code, in Malay and English.

The domain (``certificate.mykad``, ``certificate.certno``, ``certificate.activation``) refuses
input with stable codes and English messages; the portal shows its own wording for each code,
filled with the same ``params``. A test checks that every domain code has an entry here.
"""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    # --- MyKad (certificate.mykad.MESSAGES) -----------------------------------------------
    "mykad.not_text": ("No. Kad Pengenalan mesti berupa teks.", "The MyKad number must be text."),
    "mykad.empty": ("Masukkan No. Kad Pengenalan (MyKad).", "Enter a MyKad number."),
    "mykad.too_long": ("Terlalu panjang untuk No. Kad Pengenalan (12 digit sahaja).",
                       "Far too long for a MyKad number (12 digits only)."),
    "mykad.fullwidth": ("Gunakan digit biasa 0-9, bukan aksara lebar penuh.",
                        "Use ordinary digits 0-9, not full-width characters."),
    "mykad.separators": ("Masukkan No. Kad Pengenalan tanpa tanda sengkang (-) atau ruang: 12 digit sahaja, "
                         "contoh 900101141234. Tanda sengkang ditolak, tidak dibuang secara automatik.",
                         "Enter the MyKad number without dashes (-) or spaces: 12 digits only, for example "
                         "900101141234. Dashes are refused, not removed automatically."),
    "mykad.separator_position": ("Tanda sengkang hanya dibenarkan selepas digit ke-6 dan ke-8 (YYMMDD-PB-###G).",
                                 "Dashes may only follow the 6th and the 8th digit (YYMMDD-PB-###G)."),
    "mykad.non_digit": ("No. Kad Pengenalan hanya mengandungi digit 0-9; terdapat aksara {char}.",
                        "A MyKad number has only the digits 0-9; found the character {char}."),
    "mykad.length": ("No. Kad Pengenalan mempunyai 12 digit; yang dimasukkan mempunyai {count} digit.",
                     "A MyKad number has 12 digits; the one entered has {count}."),
    "mykad.date": ("Enam digit pertama (YYMMDD) bukan tarikh lahir yang wujud.",
                   "The first six digits (YYMMDD) are not a real date of birth."),
    "mykad.future_date": ("Enam digit pertama (YYMMDD) ialah tarikh lahir pada masa hadapan.",
                          "The first six digits (YYMMDD) are a date of birth in the future."),
    "mykad.place_code": ("Digit ke-7 dan ke-8 ({place_code}) bukan kod tempat lahir yang digunakan.",
                         "Digits 7-8 ({place_code}) are not a place-of-birth code in use."),
    # --- certificate numbers (certificate.certno.MESSAGES) ---------------------------------
    "certno.not_text": ("No. sijil mesti berupa teks.", "The certificate number must be text."),
    "certno.empty": ("Masukkan No. Sijil.", "Enter a certificate number."),
    "certno.too_long": ("Terlalu panjang untuk No. Sijil.", "Far too long for a certificate number."),
    "certno.format": ("No. sijil berbentuk SKM3-26-7H3K9P2M-X: jenis dan tahap, tahun, 8 huruf atau digit "
                      "dan 1 aksara semakan.",
                      "A certificate number looks like SKM3-26-7H3K9P2M-X: kind and level, year, 8 letters or "
                      "digits and 1 check character."),
    "certno.kind": ("Jenis sijil {kind} tidak dikenali; sepatutnya SKM, DKM, DLKM atau PC.",
                    "Unknown kind of certificate {kind}; expected SKM, DKM, DLKM or PC."),
    "certno.level": ("Sijil {kind} tidak wujud pada tahap {level}.",
                     "A {kind} certificate cannot be at level {level}."),
    "certno.year": ("Tahun pengeluaran mesti antara 2000 dan 2099, bukan {year}.",
                    "The year of issue must be between 2000 and 2099, not {year}."),
    "certno.body": ("Bahagian tengah No. Sijil ialah 8 simbol daripada {alphabet}.",
                    "The body of a certificate number is 8 symbols from {alphabet}."),
    "certno.symbol": ("No. sijil tidak pernah mengandungi huruf I, O, Q, U atau V (terdapat {char}); "
                      "mungkin maksud anda 1 atau 0?",
                      "Certificate numbers never contain the letters I, O, Q, U or V (found {char}); "
                      "did you mean 1 or 0?"),
    "certno.check": ("No. sijil tersalah taip: aksara semakannya tidak sepadan. Bandingkan setiap aksara sekali lagi.",
                     "Mistyped certificate number: its check character does not match. Compare every "
                     "character again."),
    # --- activation codes (certificate.activation.MESSAGES) --------------------------------
    "activation.not_text": ("Kod pengaktifan mesti berupa teks.", "The activation code must be text."),
    "activation.empty": ("Masukkan kod pengaktifan.", "Enter the activation code."),
    "activation.too_long": ("Terlalu panjang untuk kod pengaktifan.", "Far too long for an activation code."),
    "activation.character": ("Kod pengaktifan hanya mengandungi huruf dan digit; terdapat {char}.",
                             "Activation codes have only letters and digits; found {char}."),
    "activation.symbol": ("Kod pengaktifan tidak pernah mengandungi huruf U atau V (terdapat {char}).",
                          "Activation codes never contain the letters U or V (found {char})."),
    "activation.length": ("Kod pengaktifan mempunyai 16 huruf dan digit (XXXX-XXXX-XXXX-XXXX); yang dimasukkan "
                          "mempunyai {count}.",
                          "An activation code has 16 letters and digits (XXXX-XXXX-XXXX-XXXX); the one entered "
                          "has {count}."),
    "activation.check": ("Kod pengaktifan tersalah taip: bandingkan setiap aksara dengan slip sekali lagi.",
                         "Mistyped activation code: compare every character with the slip again."),
    # --- accounts ---------------------------------------------------------------------------
    "account.exists": ("Akaun bagi No. Kad Pengenalan ini telah didaftarkan. Sila Daftar Masuk.",
                       "An account for this MyKad number already exists. Please log in."),
    "account.bad_code": ("No. Kad Pengenalan dan kod pengaktifan tidak sepadan dengan mana-mana sijil.",
                         "The MyKad number and activation code do not match any certificate."),
    "account.unavailable": ("Pendaftaran dan log masuk akaun belum tersedia pada rantaian ini. Sila cuba lagi "
                            "kemudian.",
                            "Account registration and log-in are not available on this chain yet. Please try "
                            "again later."),
    "account.rejected": ("Pendaftaran ditolak oleh rantaian: {detail}", "The chain refused the registration: {detail}"),
    "account.login_failed": ("No. Kad Pengenalan atau kata laluan tidak betul.",
                             "The MyKad number or the password is incorrect."),
    "account.wrong_password": ("Kata laluan semasa tidak betul.", "The current password is incorrect."),
    "password.short": ("Kata laluan mesti sekurang-kurangnya {min} aksara.",
                       "The password must have at least {min} characters."),
    "password.long": ("Kata laluan terlalu panjang (maksimum {max} aksara).",
                      "The password is too long (at most {max} characters)."),
    "password.mismatch": ("Kedua-dua kata laluan tidak sama.", "The two passwords are not the same."),
    "password.is_ic": ("Kata laluan tidak boleh sama dengan No. Kad Pengenalan.",
                       "The password must not be your MyKad number."),
    "email.invalid": ("Masukkan alamat e-mel yang sah, contoh nama@contoh.my.",
                      "Enter a valid email address, for example name@example.my."),
    # --- forms and uploads -------------------------------------------------------------------
    "form.csrf": ("Borang ini telah tamat tempoh atau tidak sah. Muat semula halaman dan cuba lagi.",
                  "This form has expired or is not valid. Reload the page and try again."),
    "form.too_large": ("Data borang terlalu besar.", "The form data is too large."),
    "form.bad": ("Borang tidak dapat dibaca.", "The form could not be read."),
    "upload.missing": ("Pilih fail PDF sijil untuk dimuat naik.", "Choose a certificate PDF file to upload."),
    "upload.empty": ("Fail yang dimuat naik kosong.", "The uploaded file is empty."),
    "upload.too_large": ("Fail terlalu besar: had maksimum ialah {mb} MB. Sijil elektronik SPKM biasanya "
                         "kurang daripada 1 MB.",
                         "The file is too large: the limit is {mb} MB. An SPKM electronic certificate is "
                         "usually under 1 MB."),
    "upload.busy": ("Terlalu banyak semakan PDF sedang berjalan. Cuba lagi sebentar.",
                    "Too many PDF checks are running. Try again in a moment."),
    "jpps.ref": ("Rujukan JPPS tidak sah (1-64 huruf, digit atau ./:()_-).",
                 "Not a valid JPPS reference (1-64 letters, digits or ./:()_-)."),
}
