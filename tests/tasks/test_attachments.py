"""Attachments are checked by their content: type (magic bytes, zip parts, OLE streams), the
name agreeing with the content, and size."""

import pytest
from django.core.exceptions import ValidationError

from bench import hostile_zip as H
from tasks.attachments import check_attachment, clean_name
from tests.tasks.conftest import JPEG, PDF, docx, ole, plain_zip, png, xlsx


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("进展.pdf", PDF, "pdf"),
        ("报告.docx", docx(), "docx"),
        ("报告.DOC", ole("WordDocument"), "doc"),
        ("台账.xlsx", xlsx(), "xlsx"),
        ("台账.xls", ole("Workbook"), "xls"),
        ("现场.png", png(), "png"),
        ("现场.jpeg", JPEG, "jpg"),
        ("现场.jpg", JPEG, "jpg"),
    ],
)
def test_pdf_word_excel_and_images_are_accepted_by_their_content(name, data, kind):
    checked = check_attachment(name=name, data=data)
    assert checked.kind.code == kind
    assert checked.size == len(data)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    "name, data",
    [
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200),  # a Windows program renamed
        ("report.pdf", b"<html><script>alert(1)</script></html>"),  # HTML renamed
        ("report.docx", plain_zip()),  # a zip that is no Word file
        ("report.xlsx", b"region,period\n620100,2026Q3\n"),  # CSV renamed
        ("report.doc", ole("Other")),  # an OLE file that is neither Word nor Excel
        ("photo.png", PDF),  # a PDF named as an image
    ],
)
def test_a_file_of_another_type_renamed_is_refused(name, data):
    with pytest.raises(ValidationError) as info:
        check_attachment(name=name, data=data)
    assert info.value.code in {"content_mismatch", "type_not_allowed"}


def test_the_name_must_agree_with_the_content():
    with pytest.raises(ValidationError) as info:
        check_attachment(name="scan.pdf", data=png())
    assert info.value.code == "content_mismatch"
    assert "PNG" in info.value.messages[0]


@pytest.mark.parametrize("name", ["run.exe", "page.html", "data.csv", "noextension"])
def test_other_extensions_are_refused_before_the_content_is_read(name):
    with pytest.raises(ValidationError) as info:
        check_attachment(name=name, data=PDF)
    assert info.value.code == "type_not_allowed"


def test_macro_enabled_and_password_protected_office_files_are_refused():
    with pytest.raises(ValidationError) as macros:
        check_attachment(name="m.docx", data=docx(macros=True))
    assert macros.value.code == "macros"
    with pytest.raises(ValidationError) as encrypted:
        check_attachment(name="e.xlsx", data=ole("EncryptedPackage"))
    assert encrypted.value.code in {"encrypted", "content_mismatch"}
    with pytest.raises(ValidationError) as encrypted_doc:
        check_attachment(name="e.doc", data=ole("EncryptedPackage"))
    assert encrypted_doc.value.code == "encrypted"


def test_a_damaged_office_file_is_refused():
    with pytest.raises(ValidationError) as info:
        check_attachment(name="broken.docx", data=docx()[:60])
    assert info.value.code == "damaged"


def test_an_oversized_file_is_refused_saying_the_limit(settings):
    settings.CERTTRACK_TASK_ATTACHMENT_MAX_MB = 0.01  # 10,485 bytes (0.01 × 1024 × 1024)
    data = PDF + b"%" * 10_486
    with pytest.raises(ValidationError) as info:
        check_attachment(name="big.pdf", data=data)
    assert info.value.code == "too_large"
    assert "0.01 MB" in info.value.messages[0]
    # exactly at the limit is fine: 10,485 bytes
    check_attachment(name="ok.pdf", data=(PDF + b"%" * 10_485)[:10_485])


def test_an_upload_read_only_up_to_the_limit_is_judged_by_its_real_size(settings):
    settings.CERTTRACK_TASK_ATTACHMENT_MAX_MB = 0.01
    with pytest.raises(ValidationError) as info:
        check_attachment(name="big.pdf", data=PDF, size=50_000_000)
    assert info.value.code == "too_large"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as info:
        check_attachment(name="empty.pdf", data=b"")
    assert info.value.code == "empty"


def test_names_lose_folders_and_control_characters():
    assert clean_name("C:\\Users\\me\\..\\进展.pdf") == "进展.pdf"
    assert clean_name("../../etc/passwd.pdf") == "passwd.pdf"
    assert clean_name("a\x00b\r\n.pdf") == "ab.pdf"
    assert clean_name("x" * 300 + ".pdf").endswith(".pdf")
    assert len(clean_name("x" * 300 + ".pdf")) == 150


@pytest.mark.parametrize(
    "build",
    [
        lambda: H.bzip2_bomb(megabytes=64),
        lambda: H.duplicate_entries(copies=100),
        lambda: H.deflate_bomb(megabytes=80),
        lambda: H.overlapping(names=1000, megabytes=1),
        lambda: H.understated(megabytes=30),
        lambda: H.many_entries(count=3000),
    ],
    ids=["bzip2", "duplicates", "deflate", "overlapping", "understated", "many_entries"],
)
def test_an_office_file_built_to_cost_is_refused_as_damaged(build):
    """The bombs of issue 24 (their time and memory: bench/attachment_bomb.py)."""
    data = build()
    assert len(data) < 5 * 1024 * 1024
    with pytest.raises(ValidationError) as info:
        check_attachment(name="报告.docx", data=data)
    assert info.value.code == "damaged"


def test_the_largest_real_office_file_is_still_accepted():
    data = H.largest_accepted()
    assert check_attachment(name="报告.docx", data=data).kind.code == "docx"
