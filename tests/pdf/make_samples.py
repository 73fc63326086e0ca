"""Render the sample certificates shown in docs/: ``python -m tests.pdf.make_samples``.

Real programmes and training centres (from the shared programme list), invented people;
signed with the deterministic test keys, so the images change only when the template does.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from certificate.pdf import render_certificate
from tests.pdf.factory import BASE_URL, issue, make_record

DOCS = Path(__file__).resolve().parents[2] / "docs"

SAMPLES = {
    "sample-skm-ms": ("ms", make_record(
        "SKM", 3, seed="sample-skm", holder_name="NUR AISYAH BINTI AHMAD FAUZI",
        holder_ic="980314-11-5234", noss_code="A031-002-3:2022",
        programme_ms="OPERASI PERIKANAN TANGKAPAN", programme_en="CAPTURE FISHERIES OPERATIONS",
        centre_code="K06019", centre_name="AKADEMI PERIKANAN MALAYSIA", method="SLaPB",
        jpps_ref="JPPS BIL. 11/2026", jpps_date="2026-11-27")),
    "sample-dkm-en": ("en", make_record(
        "DKM", 4, seed="sample-dkm", holder_name="RAJESH KUMAR A/L SUBRAMANIAM",
        holder_ic="960722-06-5523", noss_code="MC-024-4:2012",
        programme_ms="PENGURUSAN TEKNOLOGI KIMPALAN", programme_en="WELDING TECHNOLOGY MANAGEMENT",
        centre_code="K14045", centre_name="TATI Applied Technology Institute", method="SLDN",
        jpps_ref="JPPS BIL. 11/2026", jpps_date="2026-11-27")),
}


def main() -> int:
    certs = issue(*(record for _, record in SAMPLES.values()), height=1287)
    with tempfile.TemporaryDirectory() as tmp:
        for (name, (lang, _)), cert in zip(SAMPLES.items(), certs, strict=True):
            pdf = Path(tmp) / f"{name}.pdf"
            pdf.write_bytes(render_certificate(cert.record, cert.proof, lang=lang, base_url=BASE_URL))  # type: ignore[arg-type]
            subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(DOCS / name)],
                           check=True)
            print(DOCS / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
