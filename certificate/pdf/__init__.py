"""The eCertificate PDF: deterministic bilingual A4 rendering and upload verification."""
