"""The one bounded inspector of zip containers (.docx, .xlsx): every upload that is a zip goes
through :func:`open_zip`, the task attachments and the counts import alike.

What it costs is bounded before a byte is unpacked, and while unpacking:

- the end-of-central-directory record is read first: more members than ``max_members`` (or a
  Zip64 count) is refused before the central directory is parsed;
- the central directory alone is then read (``zipfile`` reads no member to list them): a name
  twice (also differing only in case: Office part names are case-insensitive), a compression
  method other than stored or deflate (what Office writes; bzip2 and lzma bombs are the costly
  ones), an encrypted member, members whose data overlap, a declared size over
  ``max_member_bytes``, a declared total over ``max_total_bytes`` or a member declaring more than
  ``max_ratio`` times its compressed size are refused;
- a member is read through a stream that counts what it unpacks and stops at the limits it
  enforces, whatever the headers declared (``zipfile`` stops at the declared size; the counter
  does not rely on it).

Refusals raise :class:`ZipRefused` with a ``reason`` (``damaged``, ``too_many``, ``duplicate``,
``method``, ``encrypted``, ``overlap``, ``too_large``, ``ratio``); the callers turn it into
their own message. docs/deploy.md ("Uploads").
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

ALLOWED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
CHUNK = 64 * 1024
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_LOCAL_HEADER = 30  # bytes of a local file header before its name and extra field
_RATIO_FLOOR = 1024 * 1024  # small members may compress very well (an empty part, a style)
_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError, KeyError)
_ERRORS += (NotImplementedError, struct.error)


class ZipRefused(Exception):
    """The container is refused; ``reason`` says why (module docstring), ``detail`` for logs."""

    def __init__(self, reason: str, detail: str = "", *, limit: int = 0):
        self.reason, self.detail, self.limit = reason, detail, limit  # limit: bytes or ratio
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class ZipLimits:
    """What one container may hold: members, bytes of one member and of all once unpacked,
    and the declared unpacked ÷ packed ratio of a member over 1 MB."""

    max_members: int = 2000
    max_member_bytes: int = 16 * 1024 * 1024
    max_total_bytes: int = 64 * 1024 * 1024
    max_ratio: int = 200


def _member_count(data: bytes) -> int:
    """The member count of the end-of-central-directory record (no parsing of the directory)."""
    at = data.rfind(_EOCD, max(0, len(data) - _EOCD_SIZE - 65535))
    if at < 0 or len(data) < at + _EOCD_SIZE:
        raise ZipRefused("damaged", "no end of central directory")
    disk_entries, total = struct.unpack("<HH", data[at + 8 : at + 12])
    return max(disk_entries, total)


class _Counted(io.RawIOBase):
    """A member's stream that counts the bytes it hands out and stops at the limits."""

    def __init__(self, raw, inspector: BoundedZip, name: str):
        self.raw, self.inspector, self.name, self.count = raw, inspector, name, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        limits = self.inspector.limits
        n = CHUNK if n is None or n < 0 or n > CHUNK else n
        try:
            chunk = self.raw.read(n)
        except _ERRORS as exc:
            raise ZipRefused("damaged", f"{self.name}: {type(exc).__name__}: {exc}") from None
        self.count += len(chunk)
        self.inspector.unpacked += len(chunk)
        if self.count > limits.max_member_bytes:
            raise ZipRefused(
                "too_large", f"{self.name}: over the limit", limit=limits.max_member_bytes
            )
        if self.inspector.unpacked > limits.max_total_bytes:
            raise ZipRefused("too_large", "over the limit in all", limit=limits.max_total_bytes)
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self.raw.close()
        super().close()


class BoundedZip:
    """A zip container whose central directory passed the checks; members are read through
    :meth:`open` (counted) and all of them can be verified with :meth:`verify`."""

    def __init__(self, archive: zipfile.ZipFile, limits: ZipLimits):
        self.archive, self.limits = archive, limits
        self.infos = {info.filename: info for info in archive.infolist()}
        self.unpacked = 0  # bytes handed out by every member's stream so far

    @property
    def names(self) -> set[str]:
        return set(self.infos)

    def info(self, name: str) -> zipfile.ZipInfo:
        try:
            return self.infos[name]
        except KeyError:
            raise ZipRefused("damaged", f"no part {name!r}") from None

    def open(self, name: str) -> _Counted:
        try:
            raw = self.archive.open(self.info(name))
        except _ERRORS as exc:
            raise ZipRefused("damaged", f"{name}: {type(exc).__name__}: {exc}") from None
        return _Counted(raw, self, name)

    def verify(self) -> None:
        """Unpack every member within the limits, checking its CRC (what ``testzip`` did,
        bounded): ZipRefused at the first damaged member or past a limit."""
        for name in self.infos:
            with self.open(name) as stream:
                while stream.read(CHUNK):
                    pass

    def close(self) -> None:
        self.archive.close()

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_directory(infos: list[zipfile.ZipInfo], limits: ZipLimits, size: int) -> None:
    if len(infos) > limits.max_members:
        raise ZipRefused("too_many", f"{len(infos)} members")
    seen: set[str] = set()
    total = 0
    for info in infos:
        key = info.filename.casefold()
        if key in seen:
            raise ZipRefused("duplicate", info.filename[:100])
        seen.add(key)
        if info.compress_type not in ALLOWED_METHODS:
            raise ZipRefused("method", f"{info.filename[:100]}: method {info.compress_type}")
        if info.flag_bits & 0x1:
            raise ZipRefused("encrypted", info.filename[:100])
        if info.file_size > limits.max_member_bytes:
            raise ZipRefused(
                "too_large",
                f"{info.filename[:100]}: {info.file_size} declared",
                limit=limits.max_member_bytes,
            )
        if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise ZipRefused("ratio", f"{info.filename[:100]}", limit=limits.max_ratio)
        if info.header_offset + _LOCAL_HEADER + info.compress_size > size:
            raise ZipRefused("damaged", f"{info.filename[:100]} reaches past the end")
        total += info.file_size
    if total > limits.max_total_bytes:
        raise ZipRefused(
            "too_large", f"{total} bytes declared in all", limit=limits.max_total_bytes
        )
    # Members whose data overlap (one compressed stream listed under many names, the
    # "overlapping" bomb): each must end before the next begins. The local header's length is
    # taken at its least (30 bytes and the name), so a real overlap is never missed.
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for current, following in zip(ordered, ordered[1:], strict=False):
        end = (
            current.header_offset
            + _LOCAL_HEADER
            + len(current.orig_filename)  # characters: never more than the name's bytes
            + current.compress_size
        )
        if following.header_offset < end:
            raise ZipRefused("overlap", following.filename[:100])


def open_zip(data: bytes, *, limits: ZipLimits | None = None) -> BoundedZip:
    """The container of ``data`` once its directory passed every check; ZipRefused otherwise.
    Nothing is unpacked here. Use as a context manager."""
    limits = limits or ZipLimits()
    if _member_count(data) > min(limits.max_members, 0xFFFE):
        raise ZipRefused("too_many", f"{_member_count(data)} members")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ERRORS as exc:
        raise ZipRefused("damaged", f"{type(exc).__name__}: {exc}") from None
    try:
        _check_directory(archive.infolist(), limits, len(data))
    except BaseException:
        archive.close()
        raise
    return BoundedZip(archive, limits)
