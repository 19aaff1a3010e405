"""Hostile zip containers (.docx) built in memory, for the attachment checks' tests
(tests/test_zipcheck.py, tests/tasks/test_attachments.py) and bench/attachment_bomb.py.

Each is a Word document on its face (``[Content_Types].xml`` and ``word/document.xml``) and
small enough to pass the 5 MB attachment limit; what makes it costly is inside.
"""

from __future__ import annotations

import bz2
import io
import os
import struct
import warnings
import zipfile

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)
DOCUMENT = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>\xe8\xbf\x9b\xe5\xb1\x95</w:t></w:r></w:p></w:body></w:document>"
)
MB = 1024 * 1024


def docx(extra: dict[str, bytes] | None = None, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal Word document, with ``extra`` parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCUMENT)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def largest_accepted(size: int = 4 * MB + 900 * 1024) -> bytes:
    """A real-looking document just under the 5 MB limit: a photo (incompressible, stored) and
    a long text part (compresses about 10 times, as Word's XML does)."""
    text = b"".join(
        b"<w:p><w:r><w:t>%d %s</w:t></w:r></w:p>" % (i, os.urandom(6).hex().encode())
        for i in range(60_000)
    )
    photo = os.urandom(size - 700 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCUMENT[:-30] + text + DOCUMENT[-30:])
        archive.writestr("word/media/image1.jpeg", photo, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def bzip2_bomb(megabytes: int = 1024) -> bytes:
    """A document whose one extra part is ``megabytes`` of zeros in bzip2 (1 GiB: ~1 KB)."""
    compressor = bz2.BZ2Compressor(9)
    chunk = bytes(MB)
    packed = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    data = docx({"word/media/image1.bin": b"x"})
    # Put the bzip2 stream in place of the stored one-byte part, and say so in both headers.
    return _replace_member(data, "word/media/image1.bin", packed, megabytes * MB, 12)


def duplicate_entries(copies: int = 100, size: int = 2 * 1024) -> bytes:
    """``copies`` central-directory entries for the same part name (each a separate member)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": the point
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCUMENT)
        for _ in range(copies):
            archive.writestr("word/media/image1.png", os.urandom(size))
    return buffer.getvalue()


def deflate_bomb(megabytes: int = 1000) -> bytes:
    """One part of ``megabytes`` of zeros, deflated (1,000 MB: ~1 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCUMENT)
        with archive.open("word/media/image1.bin", "w", force_zip64=True) as part:
            zeros = bytes(MB)
            for _ in range(megabytes):
                part.write(zeros)
    return buffer.getvalue()


def overlapping(names: int = 2000, megabytes: int = 4) -> bytes:
    """One deflate stream of ``megabytes`` of zeros listed under ``names`` names in the central
    directory (the overlapping-files bomb: 2,000 × 4 MB = 8 GB from ~5 KB of data)."""
    base = docx({"word/media/a": bytes(megabytes * MB)})
    archive = zipfile.ZipFile(io.BytesIO(base))
    target = archive.getinfo("word/media/a")
    head = base[: archive.start_dir]
    directory = base[archive.start_dir : base.rfind(b"PK\x05\x06")]
    entries = []
    offset = 0
    while offset < len(directory):
        name_len, extra_len, comment_len = struct.unpack(
            "<HHH", directory[offset + 28 : offset + 34]
        )
        end = offset + 46 + name_len + extra_len + comment_len
        entries.append(directory[offset:end])
        offset = end
    mine = next(e for e in entries if e[46:].startswith(b"word/media/a"))
    extra = []
    for i in range(names):
        name = f"word/media/{i:05d}".encode()
        fixed = bytearray(mine[:46])
        fixed[28:30] = struct.pack("<H", len(name))
        fixed[30:32] = struct.pack("<H", 0)
        fixed[32:34] = struct.pack("<H", 0)
        fixed[42:46] = struct.pack("<I", target.header_offset)
        extra.append(bytes(fixed) + name)
    all_entries = entries + extra
    central = b"".join(all_entries)
    eocd = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(all_entries), len(all_entries), len(central),
        len(head), 0,
    )  # fmt: skip
    return head + central + eocd


def understated(megabytes: int = 200) -> bytes:
    """A part whose headers declare 1 KB but whose deflate stream unpacks to ``megabytes``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCUMENT)
        with archive.open("word/media/image1.bin", "w", force_zip64=False) as part:
            zeros = bytes(MB)
            for _ in range(megabytes):
                part.write(zeros)
    data = bytearray(buffer.getvalue())
    # Rewrite the declared unpacked size (local header offset 22, central entry offset 24).
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/media/image1.bin")
    data[info.header_offset + 22 : info.header_offset + 26] = struct.pack("<I", 1024)
    central = bytes(data).rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 1024)
    return bytes(data)


def many_entries(count: int = 65_535) -> bytes:
    """``count`` empty members: a central directory of ~4 MB to parse."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", DOCUMENT)
        for i in range(count - 2):
            archive.writestr(f"w/{i}", b"")
    return buffer.getvalue()


def _replace_member(data: bytes, name: str, packed: bytes, size: int, method: int) -> bytes:
    """``data`` with the member ``name`` (the last one written) holding ``packed`` instead,
    declared as ``size`` bytes unpacked with compression ``method``; CRC of zeros."""
    import zlib

    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    crc = 0
    chunk = bytes(MB)
    for _ in range(size // MB):
        crc = zlib.crc32(chunk, crc)
    name_bytes = name.encode()
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 46, 0, method, 0, 0, crc, len(packed), size,
        len(name_bytes), 0,
    ) + name_bytes  # fmt: skip
    head = data[: info.header_offset] + local + packed
    entries = []
    for other in archive.infolist():
        if other.filename == name:
            entry = struct.pack(
                "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 46, 46, 0, method, 0, 0, crc, len(packed),
                size, len(name_bytes), 0, 0, 0, 0, 0, info.header_offset,
            ) + name_bytes  # fmt: skip
        else:
            other_name = other.filename.encode()
            entry = struct.pack(
                "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, other.compress_type, 0, 0,
                other.CRC, other.compress_size, other.file_size, len(other_name), 0, 0, 0, 0, 0,
                other.header_offset,
            ) + other_name  # fmt: skip
        entries.append(entry)
    central = b"".join(entries)
    eocd = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(head), 0
    )
    return head + central + eocd


def most_unpacking(members: int = 63) -> bytes:
    """The most unpacking a check may do: ``members`` parts of 1 MB of zeros (each under the
    1 MB floor of the ratio rule), 63 MB in all, just under the 64 MB total."""
    return docx({f"word/media/z{i}.bin": bytes(MB) for i in range(members)})
