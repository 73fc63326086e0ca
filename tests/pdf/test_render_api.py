"""render_certificate refuses what it cannot print faithfully, with a clear error code."""

from __future__ import annotations

import pytest

from certificate.errors import ValidationError
from certificate.pdf import render_certificate
from tests.pdf.conftest import issued
from tests.pdf.factory import BASE_URL


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"lang": "fr"}, "pdf.lang"),
        ({"template": "1999.1"}, "pdf.template"),
        ({"base_url": "ftp://sijil.jpk.gov.my"}, "pdf.base_url"),
        ({"base_url": "https://sijil.jpk.gov.my/a b"}, "pdf.base_url"),
        ({"base_url": "javascript:alert(1)"}, "pdf.base_url"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, str], code: str) -> None:
    cert = issued("SKM", 3)
    args = {"lang": "ms", "base_url": BASE_URL, **kwargs}
    with pytest.raises(ValidationError) as refused:
        render_certificate(cert.record, cert.proof, **args)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_a_proof_for_another_record_is_refused() -> None:
    skm, dkm = issued("SKM", 3), issued("DKM", 4)
    with pytest.raises(ValidationError) as refused:
        render_certificate(skm.record, dkm.proof, lang="ms", base_url=BASE_URL)
    assert refused.value.code == "pdf.proof"
    assert dkm.record.cert_no in refused.value.message
