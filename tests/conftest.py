"""Shared test data: small explicit trees of regions and counts, built with make_* helpers."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from django.utils import timezone, translation

from indicators.models import Indicator, Plan, QuarterlyCount, Target
from indicators.periods import Quarter
from regions.models import Membership, Region
from regions.services import region_save
from tests.replay import replay

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# slapd and the OpenID Connect provider, for tests/accounts/ and tests/browser/
pytest_plugins = ["tests.accounts.directory_fixtures"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "test-password-123"


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium; CI (CERTTRACK_REQUIRE_BROWSER=1) must not skip them."""
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    if os.environ.get("CERTTRACK_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(
            f"{CHROMIUM} is missing: apt-get install -y chromium fonts-wqy-microhei"
        )
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (make browser-deps)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the rendered dashboard parts of one test's data
    must not be found by the next (indicators.pagecache keys them by the data version, which
    a rolled-back test database takes back)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(autouse=True)
def reset_language():
    """A request in English (Accept-Language: en) leaves English active in the test's thread:
    deactivate after each test, so no later test reads another's language."""
    yield
    translation.deactivate()


# --- builders ---------------------------------------------------------------------------


def make_region(
    code, name=None, *, parent=None, kind=Region.Kind.DIVISION, level=None, reporting=True
):
    level = level or (Region.Level.PROVINCE if parent is None else Region.Level.PREFECTURE)
    region = Region(
        code=code,
        name_zh=name or f"地区{code}",
        name_en=name or f"Region {code}",
        level=level,
        kind=kind,
        parent=parent,
        is_reporting_unit=reporting,
    )
    return region_save(region=region)


def make_indicator(code="certificates", order=1):
    return Indicator.objects.get_or_create(
        code=code,
        defaults=dict(
            name_zh="有效认证证书" if code == "certificates" else "通过认证的组织",
            name_en=code.title(),
            unit_zh="张" if code == "certificates" else "家",
            unit_en=code,
            sort_order=order,
        ),
    )[0]


def make_count(
    region, indicator, period, value, *, status=QuarterlyCount.Status.APPROVED, user=None
):
    """A count written straight to the table (test data), with its roll-ups refreshed as any
    write through the services would."""
    from indicators.rollups import rollups_touch

    if isinstance(period, str):
        period = Quarter.parse(period)
    count = QuarterlyCount.objects.create(
        region=region,
        indicator=indicator,
        year=period.year,
        quarter=period.quarter,
        value=value,
        status=status,
        entered_by=user,
        entered_at=timezone.now(),
    )
    rollups_touch(region=region, indicator=indicator, period=period)
    return count


def make_plan(region, *, issued_on=dt.date(2018, 7, 31), title="测试方案", **extra):
    return Plan.objects.create(
        title_zh=title,
        title_en="Test plan",
        issuer_zh="测试",
        issued_on=issued_on,
        region=region,
        **extra,
    )


def make_target(plan, region, indicator, due, value):
    due = Quarter.parse(due) if isinstance(due, str) else due
    return Target.objects.create(
        plan=plan,
        region=region,
        indicator=indicator,
        due_year=due.year,
        due_quarter=due.quarter,
        value=value,
    )


def make_user(django_user_model, username, *memberships, superuser=False):
    user = django_user_model.objects.create_user(username=username, password=PASSWORD)
    if superuser:
        user.is_superuser = user.is_staff = True
        user.save()
    for role, region in memberships:
        Membership.objects.create(user=user, region=region, role=role)
    return user


def confirm_address(user):
    """Mark the user's current address proven (its confirmation link opened)."""
    from notifications.models import Preference

    Preference.objects.update_or_create(user=user, defaults={"email_confirmed": user.email})
    return user


@pytest.fixture
def tree(db):
    """A province 990000 with three prefectures, a zone under the first, and a county under the second.

    990000 省
    ├── 990100 A      └── 990171 A新区 (zone: a part of A, never added)
    ├── 990200 B      └── 990201 B1 (county)
    └── 990300 C
    """
    province = make_region("990000", "省", reporting=False)
    a = make_region("990100", "A", parent=province)
    zone = make_region(
        "990171", "A新区", parent=a, kind=Region.Kind.ZONE, level=Region.Level.COUNTY
    )
    b = make_region("990200", "B", parent=province)
    b1 = make_region("990201", "B1", parent=b, level=Region.Level.COUNTY, reporting=False)
    c = make_region("990300", "C", parent=province)
    other = make_region("880000", "别省", reporting=False)
    other_city = make_region("880100", "别市", parent=other)
    return dict(
        province=province, a=a, zone=zone, b=b, b1=b1, c=c, other=other, other_city=other_city
    )


@pytest.fixture
def certs(db):
    return make_indicator("certificates", 1)


@pytest.fixture
def orgs(db):
    return make_indicator("organizations", 2)


@pytest.fixture
def reference(db):
    """The real reference data of DOMAIN.md (regions, plans, indicators, eight targets)."""
    from django.core.management import call_command

    replay("load_reference", lambda: call_command("load_reference", verbosity=0))


@pytest.fixture
def demo(reference):
    """Reference data plus the deterministic demo series up to 2026Q3 and the demo users
    (written back from the first seed's recording: tests/replay.py)."""
    from django.core.management import call_command

    replay("seed_demo", lambda: call_command("seed_demo", end="2026Q3", verbosity=0))


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Officials' browsers on Chinese intranets ask for zh-CN; English is the switch's job.
    return {**browser_context_args, "locale": "zh-CN"}
