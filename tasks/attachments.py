"""Check an uploaded attachment by its content, never by its name or the browser's word (pure).

Allowed: PDF, Word and Excel (2007+ ``.docx``/``.xlsx``, and 97–2003 ``.doc``/``.xls``), and
PNG, JPEG, GIF or WebP images. The type is read from the bytes: magic numbers (``filetype``),
the zip structure of Office Open XML (a ``.docx`` must hold ``word/document.xml``), and the
streams of an OLE compound file (a ``.doc`` must hold ``WordDocument``; ``olefile``). The file
name's extension must agree with the content, so a file of another type renamed is refused, and
so are macro-enabled and password-protected Office files. Size is bounded by
``CERTTRACK_TASK_ATTACHMENT_MAX_MB``.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass

import filetype
import olefile
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certtrack.zipcheck import ZipLimits, ZipRefused, open_zip

HEAD_BYTES = 8192
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileKind:
    code: str
    extensions: tuple[str, ...]
    content_type: str
    label: object  # lazy translation


KINDS = {
    kind.code: kind
    for kind in (
        FileKind("pdf", ("pdf",), "application/pdf", gettext_lazy("PDF document")),
        FileKind(
            "docx",
            ("docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            gettext_lazy("Word document"),
        ),
        FileKind("doc", ("doc",), "application/msword", gettext_lazy("Word 97–2003 document")),
        FileKind(
            "xlsx",
            ("xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            gettext_lazy("Excel workbook"),
        ),
        FileKind(
            "xls", ("xls",), "application/vnd.ms-excel", gettext_lazy("Excel 97–2003 workbook")
        ),
        FileKind("png", ("png",), "image/png", gettext_lazy("PNG image")),
        FileKind("jpg", ("jpg", "jpeg"), "image/jpeg", gettext_lazy("JPEG image")),
        FileKind("gif", ("gif",), "image/gif", gettext_lazy("GIF image")),
        FileKind("webp", ("webp",), "image/webp", gettext_lazy("WebP image")),
    )
}
ALLOWED_EXTENSIONS = sorted({ext for kind in KINDS.values() for ext in kind.extensions})
IMAGE_KINDS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


@dataclass(frozen=True)
class CheckedFile:
    """An attachment that passed every check, with what is stored beside it."""

    name: str  # the user's file name, cleaned (no folders, no control characters)
    kind: FileKind
    size: int
    sha256: str
    data: bytes


def max_bytes() -> int:
    return int(settings.CERTTRACK_TASK_ATTACHMENT_MAX_MB * 1024 * 1024)


def clean_name(name: str) -> str:
    """The last path component, without control characters, at most 150 characters (the
    extension kept)."""
    base = os.path.basename(str(name).replace("\\", "/")).strip()
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    if len(base) > 150:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:150]
    return base or "file"


def _extension(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


# Office files once unpacked: a long report with photos stays far below; a bomb stops here.
ZIP_LIMITS = ZipLimits(max_members=2000, max_member_bytes=64 * 2**20, max_total_bytes=64 * 2**20)


def _zip_kind(data: bytes) -> str:
    """docx or xlsx by the package's parts; ValidationError for another or damaged zip.

    Through the one bounded inspector (:mod:`certtrack.zipcheck`): the central directory is
    checked first, then every member is unpacked within the limits to check its CRC."""
    try:
        with open_zip(data, limits=ZIP_LIMITS) as archive:
            names = archive.names
            if "[Content_Types].xml" in names and any(n.endswith("vbaProject.bin") for n in names):
                raise ValidationError(
                    _("Office files with macros are not accepted; save it without macros."),
                    code="macros",
                )
            archive.verify()
    except ZipRefused as exc:
        if exc.reason == "damaged":
            raise ValidationError(
                _("The file is damaged: its zip structure cannot be read."), code="damaged"
            ) from exc
        raise ValidationError(
            _("The file is damaged or too complex to check."), code="damaged"
        ) from exc
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    raise ValidationError(
        _("This zip file is not a Word or Excel document."), code="type_not_allowed"
    )


def _ole_kind(data: bytes) -> str:
    """doc or xls by the compound file's streams; encrypted Office files are refused."""
    try:
        with olefile.OleFileIO(data) as ole:
            if ole.exists("EncryptedPackage"):
                raise ValidationError(
                    _("Password-protected files are not accepted; remove the password first."),
                    code="encrypted",
                )
            if ole.exists("WordDocument"):
                return "doc"
            if ole.exists("Workbook") or ole.exists("Book"):
                return "xls"
    except ValidationError:
        raise
    except Exception as exc:  # olefile raises OSError and others on a broken file
        raise ValidationError(_("The file is damaged and cannot be read."), code="damaged") from exc
    raise ValidationError(
        _("This Office file is neither a Word document nor an Excel workbook."),
        code="type_not_allowed",
    )


def detect_kind(data: bytes) -> FileKind | None:
    """The allowed kind the content is, None if it is none of them; ValidationError for a
    damaged, encrypted or macro-enabled Office file."""
    head = data[:HEAD_BYTES]
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(ZIP_MAGIC):
        return KINDS[_zip_kind(data)]
    if head.startswith(OLE_MAGIC):
        return KINDS[_ole_kind(data)]
    guess = filetype.guess(head)
    if guess is not None and guess.mime in IMAGE_KINDS:
        return KINDS[IMAGE_KINDS[guess.mime]]
    return None


def precheck_attachment(*, name: str, size: int) -> str:
    """The checks that need no content (empty, size, extension): the cleaned name, or
    ValidationError. Run on every file of a request before any file is read."""
    name = clean_name(name)
    limit = max_bytes()
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size).2f MB; attachments may be at most %(limit)s MB.")
            % {
                "name": name,
                "size": size / (1024 * 1024),
                "limit": f"{settings.CERTTRACK_TASK_ATTACHMENT_MAX_MB:g}",
            },
            code="too_large",
        )
    ext = _extension(name)
    if ext not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("“%(name)s”: only PDF, Word, Excel and image files (%(types)s) may be attached.")
            % {"name": name, "types": ", ".join(f".{e}" for e in ALLOWED_EXTENSIONS)},
            code="type_not_allowed",
        )
    return name


def check_attachment(*, name: str, data: bytes, size: int | None = None) -> CheckedFile:
    """The checked file, or ValidationError saying what is wrong (nothing is stored then).
    ``size`` is the upload's real size where ``data`` was read only up to the limit."""
    size = max(len(data), size or 0)
    name = precheck_attachment(name=name, size=size)
    ext = _extension(name)
    try:
        kind = detect_kind(data)
    except ValidationError as exc:
        raise ValidationError(f"“{name}”: {exc.messages[0]}", code=exc.code) from exc
    if kind is None:
        raise ValidationError(
            _(
                "“%(name)s” is not what its name says: its content is not a PDF, Word, Excel "
                "or image file."
            )
            % {"name": name},
            code="content_mismatch",
        )
    if ext not in kind.extensions:
        raise ValidationError(
            _("“%(name)s” is named .%(ext)s but its content is a %(kind)s (.%(real)s).")
            % {"name": name, "ext": ext, "kind": kind.label, "real": kind.extensions[0]},
            code="content_mismatch",
        )
    return CheckedFile(
        name=name, kind=kind, size=size, sha256=hashlib.sha256(data).hexdigest(), data=data
    )


def read_upload(upload, *, limit: int | None = None) -> bytes:
    """The bytes of an uploaded file, reading at most one byte past ``limit`` (the size check
    then refuses it without holding more)."""
    limit = max_bytes() if limit is None else limit
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    return data
