"""Every door as strong as the first (issue 24.6): each form and endpoint that takes a number
or a file, found from the URL table, is sent the odd-number set and the bomb set; each answers
a 4xx and stores nothing. (The time each costs is measured in bench/attachment_bomb.py and
bench/import_bomb.py, not asserted here.)

The doors are a table below, keyed by URL name; ``test_every_url_is_a_door_or_says_why_not``
proves it complete against the URL table (a new URL fails it until classified), numbers in a
path are found from the converters, and ``test_no_view_or_form_reads_a_number_itself`` checks
the source: no ``IntegerField``, no ``int()`` and no ``isdigit()`` in a view or a form, so every
number goes through ``parse_count`` / ``parse_whole``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from bench import hostile_xlsx as HX
from bench import hostile_zip as HZ

ROOT = Path(__file__).resolve().parents[2]

# The odd-number set: what int(), isdigit() or a database let through or choke on.
ODD = [
    "1,,5",  # int("1,,5".replace(",", "")) saved 15
    "1_000",
    "٣",  # Arabic-Indic three
    "+5",
    "²",
    "①",
    "9" * 5000,  # int() raises past 4,300 digits
    str(2**63),  # a 64-bit overflow in SQLite and PostgreSQL
    "9223372036854775807",
    "-1",
    " ",
    "\x00",
    "1e3",
    "1.0",
    "0x10",
    "NaN",
]


def bombs() -> dict[str, bytes]:
    """The bomb set: zip containers built to cost (attachments and imports alike)."""
    return {
        "bzip2.docx": HZ.bzip2_bomb(megabytes=64),
        "duplicates.docx": HZ.duplicate_entries(copies=100),
        "deflate.docx": HZ.deflate_bomb(megabytes=80),
        "overlapping.docx": HZ.overlapping(names=1000, megabytes=1),
        "understated.docx": HZ.understated(megabytes=30),
        "many_entries.docx": HZ.many_entries(count=3000),
    }


def xlsx_bombs() -> dict[str, bytes]:
    renamed = {name.replace(".docx", ".xlsx"): data for name, data in bombs().items()}
    return renamed | {
        "row_100_million.xlsx": HX.cell_at_row_100_million(),
        "million_cells.xlsx": HX.one_row_of_a_million_cells(),
        "sheet_over_16_mb.xlsx": HX.package(
            HX.sheet(*HX.repeated(" ", 17 * 1024 * 1024, batch=1024 * 1024))
        ),
    }


# --- the URL table ------------------------------------------------------------------------------

# URL name -> what of it takes a number or a file (run by test_every_door_refuses_...).
DOORS = {
    "indicators:entry": "values and versions of both indicators (POST)",
    "indicators:review": "versions seen by the reviewer (POST)",
    "indicators:withdraw": "versions seen by the official (POST)",
    "indicators:target_allocation": "an allocation per division (POST alloc-<region id>)",
    "indicators:import": "a workbook (file) and the counts in its cells",
    "tasks:report": "the report's version and its attachments (files)",
    "tasks:review": "the report's version (POST)",
    "tasks:attachment_delete": "the report's version (POST)",
    "indicators:assessment_weights": "four weights in percent (POST)",
    "accounts:import": "a workbook of accounts (file)",
    "register:import": "a register file (.xlsx or .csv)",
}
# URL name -> why it takes neither (numbers in its path are tried by test_numbers_in_a_path...).
NOT_DOORS = {
    "login": "a username and a password",
    "logout": "nothing",
    "healthz": "nothing",
    "password_reset": "a mail address",
    "password_reset_done": "nothing",
    "password_reset_confirm": "a signed token and passwords",
    "password_reset_complete": "nothing",
    "password_change": "passwords",
    "password_change_done": "nothing",
    "set_language": "a language code",
    "work:home": "nothing",
    "work:list": "a kind from a list and a page number (Paginator.get_page: any text is page 1)",
    "notifications:list": "a page number to read (Paginator.get_page: any text is page 1)",
    "notifications:open": "its id in the path only",
    "notifications:read_all": "nothing",
    "notifications:preferences": "a mail address, a yes/no, a language",
    "notifications:confirm_email": "a signed token",
    "tasks:index": "filters to read",
    "tasks:task": "its id in the path only",
    "tasks:attachment": "its id in the path only",
    "tasks:board": "filters to read",
    "tasks:board_data": "filters to read",
    "tasks:unit": "its id in the path only",
    "indicators:overview": "quarters and choices to read (tests/deploy/test_hostile_params.py)",
    "indicators:region_dashboard": "quarters and choices to read",
    "indicators:plan_detail": "quarters and choices to read",
    "indicators:overview_data": "quarters and choices to read",
    "indicators:region_data": "quarters and choices to read",
    "indicators:plan_data": "quarters and choices to read",
    "indicators:assessment": "a quarter to read",
    "indicators:assessment_data": "a quarter to read",
    "indicators:review_queue": "a quarter to read",
    "indicators:reports": "quarters and choices to read",
    "indicators:report_export": "quarters and choices to read",
    "indicators:report_brief": "a region and a quarter to read",
    "indicators:import_template": "a region and a quarter to read",
    "indicators:import_confirm": "the preview's random token, compared as text",
    # user administration (accounts/): names, addresses, roles chosen from lists, ids in paths
    "accounts:list": "filters to read (choices; a page number through Paginator.get_page)",
    "accounts:new": "names, a mail address, a phone, roles and regions chosen from lists",
    "accounts:detail": "its id in the path only",
    "accounts:edit": "names, a mail address, a phone",
    "accounts:active": "yes/no",
    "accounts:grant": "a role and a region chosen from lists",
    "accounts:revoke": "ids in the path only",
    "accounts:password_link": "its id in the path only",
    "accounts:links": "nothing",
    "accounts:links_export": "nothing",
    "accounts:links_clear": "nothing",
    "accounts:import_confirm": "the preview's random token, compared as text",
    "accounts:import_template": "nothing",
    "accounts:directory_groups": "a group name, a region and a role chosen from lists",
    "accounts:directory_group_remove": "its id in the path only",
    "accounts:no_role": "nothing",
    "accounts:oidc_start": "nothing",
    "accounts:oidc_callback": "the provider's code and state, checked by mozilla-django-oidc",
    "accounts:directory_failed": "nothing",
    # the certificate register (register/)
    "register:import_confirm": "the preview's random token, compared as text",
    "register:region": "quarters and choices to read",
    "register:region_data": "quarters and choices to read",
    "register:certificates": "filters to read (choices; a page number through Paginator.get_page)",
    "register:certificates_export": "filters to read",
    "accounts:set_password": "a signed token and passwords",
    "accounts:set_password_done": "nothing",
}


def url_table() -> list[tuple[str, str, dict]]:
    """(namespaced name, route, converters) of every URL outside Django's admin (staff only,
    Django's own forms; its integer fields carry the database's range)."""

    def walk(patterns, route="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace or ""]))
                if p.app_name == "admin":
                    continue
                yield from walk(p.url_patterns, route + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = ":".join(filter(None, [namespace, p.name or ""]))
                yield name, route + str(p.pattern), dict(p.pattern.converters)

    return list(walk(get_resolver().url_patterns))


def test_every_url_is_a_door_or_says_why_not():
    names = {name for name, _route, _conv in url_table()}
    assert names == set(DOORS) | set(NOT_DOORS), (
        f"classify in DOORS or NOT_DOORS: {sorted(names - set(DOORS) - set(NOT_DOORS))}; "
        f"gone: {sorted((set(DOORS) | set(NOT_DOORS)) - names)}"
    )
    assert not set(DOORS) & set(NOT_DOORS)


def project_apps() -> list[Path]:
    """The folders of the project's own apps (an app added later is scanned too)."""
    folders = [Path(config.path) for config in apps.get_app_configs()]
    own = [f for f in folders if ROOT in f.parents and ".venv" not in f.parts]
    return own + [ROOT / "certtrack"]


def _python_files(*parts: str) -> list[Path]:
    out = []
    for folder in project_apps():
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "migrations" not in rel and any(part in rel for part in parts):
                out.append(path)
    return out


def test_no_view_or_form_reads_a_number_itself():
    """Views and forms parse numbers only through validation.parse_count / parse_whole (and
    its WholeNumberField): never int(), str.isdigit() or Django's IntegerField, which accept
    ``٣``, ``²``, ``1_000``, ``+5`` or any size."""
    found = []
    files = _python_files("/views", "views.py", "forms.py", "accounts.py")
    assert len(files) >= 10
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in ("int", "isdigit", "isdecimal", "isnumeric") or name in (
                "IntegerField",
                "FloatField",
                "DecimalField",
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert found == []


# --- the doors ----------------------------------------------------------------------------------


def snapshot() -> dict[str, list]:
    """Every row of the apps that store what users send (compared before and after a door)."""
    out = {}
    for label in ("indicators", "tasks", "notifications", "regions", "accounts", "register"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.db_table.endswith(("_dataversion", "pagecache")):
                continue
            out[model._meta.label] = list(model.objects.order_by("pk").values())
    return out


@pytest.fixture
def login(client, settings):
    def _login(username):
        client.logout()
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _login


def refused(response) -> bool:
    return 400 <= response.status_code < 500


def test_every_door_refuses_the_odd_numbers_and_the_bombs_and_stores_nothing(
    demo, login, settings, tmp_path
):
    from indicators.models import QuarterlyCount, Target
    from indicators.periods import Quarter
    from indicators.selectors.allocation import allocation_regions
    from tasks.models import TaskReport
    from tasks.services import task_report_save

    settings.CERTTRACK_MEDIA_ROOT = str(tmp_path)
    settings.MEDIA_ROOT = str(tmp_path)
    failures: list[str] = []
    tried: set[str] = set()
    period = Quarter(2026, 3)

    def versions(code: str) -> dict[str, str]:
        rows = QuarterlyCount.objects.filter(
            region__code=code, year=period.year, quarter=period.quarter
        )
        return {f"version_{c.indicator.code}": str(c.version) for c in rows}

    def door(name: str, client, url: str, base: dict, fields: list[str], *, blank_ok=()):
        """Each odd value in each field, the others as ``base`` has them."""
        tried.add(name)
        before = snapshot()
        for field in fields:
            for odd in ODD:
                if odd == " " and field in blank_ok:
                    continue  # blank has a meaning there (no value, no allocation)
                response = client.post(url, {**base, field: odd})
                if not refused(response):
                    failures.append(f"{name} {field}={odd[:20]!r}: {response.status_code}")
        if snapshot() != before:
            failures.append(f"{name}: something was stored")

    def upload_door(name, client, url, base, field, files):
        tried.add(name)
        before = snapshot()
        for filename, data in files.items():
            response = client.post(url, {**base, field: SimpleUploadedFile(filename, data)})
            if not refused(response):
                failures.append(f"{name} {field}={filename}: {response.status_code}")
        if snapshot() != before:
            failures.append(f"{name}: something was stored")

    # Entry: an official's returned quarter (editable); blank values are left out of a draft.
    official = login("official_lanzhou")
    base = {"region": "620171", "period": str(period), "action": "save"}
    base |= {"value_certificates": "120", "value_organizations": "40"} | versions("620171")
    fields = ["value_certificates", "value_organizations", *versions("620171")]
    door("indicators:entry", official, reverse("indicators:entry"), base, fields,
         blank_ok={"value_certificates", "value_organizations"})  # fmt: skip

    # Withdraw: the versions the official saw (parsed before anything else is looked at).
    base = {"region": "620100", "period": str(period)} | versions("620100")
    door("indicators:withdraw", official, reverse("indicators:withdraw"), base,
         list(versions("620100")))  # fmt: skip

    # Import: the bombs, and a workbook with each odd number in a count cell.
    upload_door("indicators:import", official, reverse("indicators:import"), {}, "file",
                xlsx_bombs())  # fmt: skip
    cells = {}  # each odd value as the text a user types into the certificates cell
    for i, odd in enumerate(ODD):
        if odd.strip() and "\x00" not in odd:
            row = HX.text_cell("A2", "620171") + HX.text_cell("B2", str(period))
            row += HX.text_cell("C2", odd) + '<c r="D2"><v>40</v></c>'
            cells[f"odd{i}.xlsx"] = HX.package(HX.sheet(f'<row r="2">{row}</row>'))
    upload_door("indicators:import", official, reverse("indicators:import"), {}, "file", cells)

    # Review: the versions the reviewer looked at, on a submitted quarter.
    reviewer = login("reviewer_gansu")
    base = {"action": "approve", "comment": ""} | versions("620500")
    door("indicators:review", reviewer, reverse("indicators:review", args=["620500", period]),
         base, list(versions("620500")))  # fmt: skip

    # Allocation: a division's allocation of a demo target (blank removes one).
    manager = login("manager_gansu")
    target = Target.objects.get(
        plan__title_zh__startswith="【演示】", region__code="620000", indicator__code="certificates"
    )
    division = allocation_regions(target)[0][0]
    door("indicators:target_allocation", manager,
         reverse("indicators:target_allocation", args=[target.pk]), {},
         [f"alloc-{division.pk}"], blank_ok={f"alloc-{division.pk}"})  # fmt: skip

    # Task report: a returned report of the demo unit user (editable), with an attachment.
    report = TaskReport.objects.filter(
        unit__memberships__user__username="official_fgw", state=TaskReport.State.RETURNED
    ).first()
    fgw = login("official_fgw")
    from django.contrib.auth import get_user_model

    task_report_save(
        user=get_user_model().objects.get(username="official_fgw"),
        task=report.task, unit=report.unit, period=report.report_period, status=report.status,
        done=report.done or "进展", expected_version=report.version,
        files=[SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")],
    )  # fmt: skip
    report.refresh_from_db()
    url = reverse("tasks:report", args=[report.task_id, report.unit_id, report.period])
    base = {"status": report.status, "done": "进展", "action": "save"}
    door("tasks:report", fgw, url, base | {"version": str(report.version)}, ["version"])
    upload_door("tasks:report", fgw, url, base | {"version": str(report.version)},
                "attachments", bombs())  # fmt: skip
    attachment = report.attachments.get()
    door("tasks:attachment_delete", fgw, reverse("tasks:attachment_delete", args=[attachment.pk]),
         {"version": str(report.version)}, ["version"])  # fmt: skip

    # Assessment weights: a target manager's four percentages (the others a valid 40/20/20/20).
    manager = login("manager_gansu")
    weights = {"progress": "40", "growth": "20", "timeliness": "20", "quality": "20"}
    door("indicators:assessment_weights", manager,
         reverse("indicators:assessment_weights", args=[target.plan_id]), weights,
         list(weights))  # fmt: skip

    # Bulk accounts: the bombs, through the same inspector as every other workbook.
    useradmin = login("useradmin_gansu")
    upload_door("accounts:import", useradmin, reverse("accounts:import"), {}, "file",
                xlsx_bombs())  # fmt: skip

    # The certificate register: the bombs, as a reviewer of the province imports them.
    register_reviewer = login("reviewer_gansu")
    upload_door("register:import", register_reviewer, reverse("register:import"), {}, "file",
                xlsx_bombs())  # fmt: skip

    # Task review: the version the plan's reviewer looked at, on a submitted report.
    submitted = TaskReport.objects.filter(
        state=TaskReport.State.SUBMITTED, task__plan__region__code="620000"
    ).first()
    door("tasks:review", login("reviewer_gansu"), reverse("tasks:review", args=[submitted.pk]),
         {"action": "accept", "comment": "", "version": str(submitted.version)},
         ["version"])  # fmt: skip

    assert tried == set(DOORS)
    assert failures == []


def test_numbers_in_a_path_beyond_any_id_are_a_404_not_a_500(demo, login):
    """Every <int:> of the URL table with 2**63 (an overflow in SQLite and PostgreSQL) and
    5,000 digits, by GET and POST, as a superuser (who passes every permission check)."""
    client = login("admin")
    values = {"code": "620000", "period": "2026Q3", "fmt": "json", "dataset": "targets"}
    values |= {"token": "x", "uidb64": "x"}
    failures, tried = [], 0
    for name, _route, converters in url_table():
        ints = [k for k, c in converters.items() if isinstance(c, IntConverter)]
        if not ints:
            continue
        for huge in (str(2**63), "9" * 5000):
            kwargs = {k: (huge if k in ints else values[k]) for k in converters}
            url = reverse(name, kwargs={k: v if k not in ints else 1 for k, v in kwargs.items()})
            for k in ints:  # reverse() with the huge value: put it in by hand
                url = re.sub(r"/1(?=[/.])", "/" + kwargs[k], url, count=1)
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                tried += 1
                if not refused(response):
                    failures.append(f"{method} {name} {huge[:20]}: {response.status_code}")
    assert tried >= 4 * 10  # every <int:> route, twice, both methods
    assert failures == []
