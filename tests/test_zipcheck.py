"""The one bounded zip inspector (certtrack/zipcheck.py): the central directory is judged before
anything is unpacked, and unpacking stops at the limits whatever the headers declare."""

from __future__ import annotations

import io
import zipfile

import pytest

from bench import hostile_zip as Z
from certtrack.zipcheck import ZipLimits, ZipRefused, open_zip


def refused(data: bytes, limits: ZipLimits | None = None) -> str:
    with pytest.raises(ZipRefused) as info:
        with open_zip(data, limits=limits) as archive:
            archive.verify()
    return info.value.reason


def test_a_plain_office_package_passes_and_every_member_is_read():
    data = Z.docx({"word/media/a.png": b"\x89PNG" + bytes(5000)})
    with open_zip(data) as archive:
        archive.verify()
        assert archive.names == {"[Content_Types].xml", "word/document.xml", "word/media/a.png"}
        # 4 + 5,000 bytes of the image, the two XML parts: every byte counted once
        assert archive.unpacked == 5004 + len(Z.CONTENT_TYPES) + len(Z.DOCUMENT)


def test_a_duplicate_name_is_refused_also_when_only_its_case_differs():
    assert refused(Z.duplicate_entries(copies=3)) == "duplicate"
    assert refused(Z.docx({"Word/Document.XML": b"<x/>"})) == "duplicate"


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_a_compression_other_than_stored_or_deflate_is_refused(method):
    assert refused(Z.docx(method=method)) == "method"


def test_the_bzip2_bomb_is_refused_from_its_directory_without_unpacking():
    data = Z.bzip2_bomb(megabytes=16)
    assert len(data) < 2000
    assert refused(data) == "method"


def test_a_declared_member_size_or_total_over_the_limit_is_refused():
    limits = ZipLimits(max_member_bytes=1000, max_total_bytes=1500, max_ratio=10**6)
    assert refused(Z.docx({"a": bytes(1001)}), limits) == "too_large"
    # 3 × 600 = 1,800 declared in all > 1,500, each under 1,000
    three = Z.docx({"a": bytes(600), "b": bytes(600), "c": bytes(600)})
    assert refused(three, limits) == "too_large"


def test_a_member_packed_over_the_ratio_is_refused():
    # 2 MB of zeros deflate to about 2 KB: a ratio near 1,000 > 200
    assert refused(Z.docx({"a": bytes(2 * 1024 * 1024)})) == "ratio"


def test_a_member_whose_headers_understate_its_size_is_not_unpacked_beyond_it():
    data = Z.understated(megabytes=20)
    with open_zip(data) as archive:
        with pytest.raises(ZipRefused) as info:
            archive.verify()
        assert info.value.reason == "damaged"  # its CRC, over the declared 1 KB, is wrong
        assert archive.unpacked < 64 * 1024


def test_the_counter_stops_a_member_past_the_limit_whatever_it_declared():
    data = Z.docx({"a": bytes(3000)})
    with open_zip(data, limits=ZipLimits(max_ratio=10**6)) as archive:
        # Limits lowered after the directory passed: only the counting stream can stop it.
        archive.limits = ZipLimits(max_member_bytes=2000, max_total_bytes=10**6)
        with pytest.raises(ZipRefused) as info, archive.open("a") as stream:
            while stream.read(1024):
                pass
        assert info.value.reason == "too_large"
        assert archive.unpacked <= 2000 + 1024  # one chunk past the limit at most


def test_members_sharing_their_data_are_refused():
    limits = ZipLimits(max_ratio=10**6, max_total_bytes=10**9, max_member_bytes=10**8)
    assert refused(Z.overlapping(names=10, megabytes=1), limits) == "overlap"


def test_too_many_members_are_refused_before_the_directory_is_parsed(monkeypatch):
    data = Z.many_entries(count=2500)

    def parse(*_a, **_k):
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(zipfile, "ZipFile", parse)
    assert refused(data) == "too_many"


def test_an_encrypted_member_is_refused():
    data = bytearray(Z.docx({"a": b"secret"}))
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    central = bytes(data).rfind(b"PK\x01\x02")  # the last entry: "a"
    assert archive.infolist()[-1].filename == "a"
    data[central + 8] |= 0x1  # general purpose flag, bit 0: encrypted
    assert refused(bytes(data)) == "encrypted"


@pytest.mark.parametrize("data", [b"PK\x03\x04 not a zip", b"", Z.docx()[:-30]])
def test_what_is_no_zip_is_damaged(data):
    assert refused(data) == "damaged"


def test_only_the_inspector_opens_a_zip():
    """Every zip container goes through certtrack/zipcheck.py: no other module of the apps
    imports zipfile or loads a workbook with openpyxl (which unpacks without these limits)."""
    import ast
    from pathlib import Path

    from tests.deploy.test_doors import project_apps

    root = Path(__file__).resolve().parents[1]
    found = []
    for folder in project_apps():
        for path in folder.rglob("*.py"):
            if "migrations" in path.parts or path.name == "zipcheck.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [a.name for a in node.names]
                if "zipfile" in names or "load_workbook" in names:
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []
