"""Register test data: the certification types (reference fixture), a small region tree, and
builders of valid credit codes and register files."""

from __future__ import annotations

import csv
import hashlib
import io

import pytest
from django.core.management import call_command
from django.utils import translation
from stdnum.cn import uscc

from regions.models import Region
from register.imports import TypeNames, parse_register_file
from register.models import CertificationType
from register.services import register_import
from tests.conftest import make_region

HEADER = [
    "证书编号",
    "认证机构",
    "认证项目",
    "组织名称",
    "统一社会信用代码",
    "颁证日期",
    "有效期至",
    "证书状态",
    "状态日期",
]


def credit_code(region: str, serial: int) -> str:
    """A valid 统一社会信用代码: 9 (market regulation) 1 (enterprise), the region, an
    organization code, and the check character python-stdnum computes."""
    base = f"91{region}MA{serial:07d}"
    return base + uscc.calc_check_digit(base)


@pytest.fixture(autouse=True)
def english_messages():
    """Messages made outside a request (parser, services) in English, as the tests spell them;
    pages keep the language of their request."""
    with translation.override("en"):
        yield


@pytest.fixture
def types(db):
    call_command("loaddata", "register_types", verbosity=0)
    return {t.code: t for t in CertificationType.objects.all()}


@pytest.fixture
def rtree(db):
    """Gansu with Lanzhou (and its county 620102) and Tianshui; Guangxi with Beihai."""
    gansu = make_region("620000", "甘肃省")
    lanzhou = make_region("620100", "兰州市", parent=gansu)
    chengguan = make_region("620102", "城关区", parent=lanzhou, level=Region.Level.COUNTY)
    tianshui = make_region("620500", "天水市", parent=gansu)
    guangxi = make_region("450000", "广西壮族自治区")
    beihai = make_region("450500", "北海市", parent=guangxi)
    return dict(
        gansu=gansu, lanzhou=lanzhou, chengguan=chengguan, tianshui=tianshui,
        guangxi=guangxi, beihai=beihai,
    )  # fmt: skip


def csv_bytes(rows, *, header=HEADER, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def type_names() -> list[TypeNames]:
    return [
        TypeNames(t.code, (t.name_zh, t.name_en, t.standard, *t.aliases.splitlines()))
        for t in CertificationType.objects.all()
    ]


def parse(data: bytes, *, scope=("/",), name="register.csv"):
    regions = dict(Region.objects.values_list("code", "path"))
    return parse_register_file(
        data=data,
        file_name=name,
        types=type_names(),
        regions=regions,
        in_scope=lambda path: any(path.startswith(s) for s in scope),
    )


def load(data: bytes, *, user=None, scope=("/",), full_extract_of=None, dry_run=False):
    """Parse and apply a file as the import page does; returns (parsed, summary)."""
    parsed = parse(data, scope=scope)
    summary = register_import(
        user=user,
        rows=parsed.rows,
        file_name="register.csv",
        file_hash=hashlib.sha256(data).hexdigest(),
        refused_rows=parsed.refused_rows,
        full_extract_of=full_extract_of,
        dry_run=dry_run,
    )
    return parsed, summary
