"""Shared data of the tasks tests: the real reference data (Gansu's tasks), users of units and
regions, and sample files of every kind (built here, byte by byte where no library writes
them)."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from indicators.models import Plan
from regions.models import Membership, Region
from tasks.models import Task, TaskUnit, Unit, UnitMembership
from tests.conftest import make_user

Role = Membership.Role
GANSU_DOC = "甘政办发〔2018〕145号"
TODAY = dt.date(2026, 11, 30)  # a fixed "today": the current half-year is 2026H2


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores attachments in a folder of its own."""
    settings.CERTTRACK_MEDIA_ROOT = tmp_path / "attachments"
    return settings.CERTTRACK_MEDIA_ROOT


@pytest.fixture
def gansu(reference):
    """Gansu's plan with its tasks, put back *in force* for these tests: the reference plan is
    invalidated (甘政发〔2023〕60号), and an invalidated plan asks for no report of a period
    after 2023-01-01 (issue 22.4, tested with ``gansu_invalidated``); the tests of reports due
    and overdue need a plan that still asks."""
    plan = Plan.objects.get(document_number=GANSU_DOC)
    plan.status, plan.invalidated_by, plan.invalidated_on = Plan.Status.IN_FORCE, "", None
    plan.save(update_fields=["status", "invalidated_by", "invalidated_on"])
    return plan


@pytest.fixture
def gansu_invalidated(reference):
    """Gansu's plan as the reference has it: invalidated by 甘政发〔2023〕60号."""
    return Plan.objects.get(document_number=GANSU_DOC)


@pytest.fixture
def beihai(reference):
    return Plan.objects.get(document_number="北政办〔2018〕200号")


def unit(name_zh: str) -> Unit:
    return Unit.objects.get(name_zh=name_zh)


def task(plan, number: int, item: int = 0) -> Task:
    return Task.objects.get(plan=plan, number=number, item=item)


def lead_units(t: Task) -> list[str]:
    return list(
        TaskUnit.objects.filter(task=t, role=TaskUnit.Role.LEAD)
        .order_by("position")
        .values_list("unit__name_zh", flat=True)
    )


def make_unit_user(django_user_model, username: str, *unit_names: str, regions=()):
    """A user of the named units (and of regions: ``(role, code)`` pairs)."""
    user = make_user(
        django_user_model,
        username,
        *[(role, Region.objects.get(code=code)) for role, code in regions],
    )
    for name in unit_names:
        UnitMembership.objects.create(user=user, unit=unit(name))
    return user


@pytest.fixture
def people(gansu, django_user_model):
    """fgw: 省发展改革委 (leads 7.2, 7.3, 8); zhijian: 省质监局; lanzhou_gov: 兰州市政府 (leads
    nothing); reviewer: reviewer of 甘肃省; lanzhou_reviewer: reviewer of 兰州市 only; beihai:
    reviewer of 北海市 (another province); leader: leader of 甘肃省."""
    return dict(
        fgw=make_unit_user(django_user_model, "fgw", "省发展改革委"),
        zhijian=make_unit_user(django_user_model, "zhijian", "省质监局"),
        lanzhou_gov=make_unit_user(django_user_model, "lzgov", "兰州市政府"),
        reviewer=make_unit_user(django_user_model, "rev", regions=[(Role.REVIEWER, "620000")]),
        lanzhou_reviewer=make_unit_user(
            django_user_model, "lzrev", regions=[(Role.REVIEWER, "620100")]
        ),
        beihai=make_unit_user(django_user_model, "bhrev", regions=[(Role.REVIEWER, "450500")]),
        leader=make_unit_user(django_user_model, "leader", regions=[(Role.LEADER, "620000")]),
    )


# --- sample files ---------------------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 64
    + b"\xff\xd9"
)


def docx(*, macros: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        if macros:
            z.writestr("word/vbaProject.bin", b"\x00" * 16)
    return out.getvalue()


def xlsx() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "进展"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not an office file")
    return out.getvalue()


def ole(stream_name: str) -> bytes:
    """A minimal OLE compound file (version 3, 512-byte sectors) holding one 4,096-byte stream
    named ``stream_name`` in regular sectors: what a Word 97 (``WordDocument``) or Excel 97
    (``Workbook``) file is to a type check."""
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108
    assert len(header) == 512
    fat = [fat_sect, end] + list(range(3, 10)) + [end]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", free) * (128 - len(fat))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", nostream, nostream, child)
            + b"\x00" * 16
            + b"\x00" * 4
            + b"\x00" * 16
            + struct.pack("<IIi", start, size, 0)
        )

    directory = entry("Root Entry", 5, 1, end, 0) + entry(stream_name, 2, nostream, 2, 4096)
    empty = b"\x00" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", *[nostream] * 3)
    empty = empty.ljust(128, b"\x00")
    directory += empty * 2
    return header + fat_sector + directory + b"\x11" * 4096


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def make_report(t, u, period: str, state="submitted", status="in_progress", *, by=None, **kw):
    """A report written straight to the table (test data), with submitted_at where submitted."""
    from django.utils import timezone

    from tasks.models import TaskReport

    now = timezone.now()
    return TaskReport.objects.create(
        task=t,
        unit=u,
        period=period,
        state=state,
        status=status,
        done=kw.pop("done", "做了"),
        created_at=now,
        updated_at=now,
        updated_by=by,
        submitted_by=by if state != "draft" else None,
        submitted_at=now if state != "draft" else None,
        **kw,
    )


def recent_schedule(plan, starts_on=dt.date(2025, 1, 1), days=15, kind="half_year"):
    """Reports expected from 2025H1, due 15 days after each half-year."""
    from tasks.models import ReportingSchedule

    return ReportingSchedule.objects.create(
        plan=plan, period_kind=kind, deadline_days=days, starts_on=starts_on
    )
