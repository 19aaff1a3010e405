"""Report and import pages: permissions, downloads, upload → preview → confirm."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from indicators.imports import MAX_UPLOAD_BYTES
from indicators.models import CountEvent, Indicator, QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.values import Inclusion, subtree_values
from regions.models import Membership, Region
from tests.conftest import PASSWORD, make_user

EXPORT = reverse("indicators:report_export")
IMPORT = reverse("indicators:import")
CONFIRM = reverse("indicators:import_confirm")
TEMPLATE = reverse("indicators:import_template")
EMPTY_Q = "2017Q3"  # before the demo series: no counts, no large-change warnings


@pytest.fixture
def login(client, settings):
    def _login(username, password=None):
        client.logout()
        assert client.login(
            username=username, password=password or settings.CERTTRACK["DEMO_PASSWORD"]
        )
        return client

    return _login


def _workbook(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def _upload(client, data: bytes, name="counts.xlsx", **extra):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data), **extra})


def _filled_template(client, cells: dict, period=EMPTY_Q) -> bytes:
    wb = _workbook(client.get(TEMPLATE, {"period": period}))
    for ref, value in cells.items():
        wb["填报 Counts"][ref] = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_anonymous_is_sent_to_login(client, db):
    for url in (reverse("indicators:reports"), EXPORT, IMPORT, TEMPLATE):
        assert client.get(url).status_code == 302


def test_analyst_downloads_the_gansu_report_with_the_selectors_numbers(demo, login):
    client = login("analyst")
    assert client.get(reverse("indicators:reports")).status_code == 200
    response = client.get(
        EXPORT, {"region": "620000", "start": "2020Q1", "end": "2022Q4", "values": "approved"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="CertTrack_620000_2020Q1-2022Q4_')
    assert (
        "filename*=UTF-8''CertTrack_%E7%94%98%E8%82%83%E7%9C%81_620000_2020Q1-2022Q4_"
        in disposition
    )
    wb = _workbook(response)
    assert len(wb.sheetnames) == 7  # five of the counts, 考核排名 Assessment, 任务进展 Tasks
    grid = subtree_values(
        root=Region.objects.get(code="620000"),
        start=Quarter(2020, 1),
        end=Quarter(2022, 4),
        indicators=list(Indicator.objects.all()),
        include=Inclusion.APPROVED,
    )
    rows = list(wb["季度数据 Quarterly"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(grid.regions) * 2 * 12
    for row in rows:
        assert row[10] == grid.get(row[0], row[5], Quarter.parse(row[9])).value
    by_key = {(r[0], r[5], r[9]): r[10] for r in rows}
    assert by_key[("620000", "certificates", "2020Q4")] == 11180  # DOMAIN demo anchor
    assert by_key[("620000", "organizations", "2022Q4")] == 4910
    summary = list(wb["汇总 Summary"].iter_rows(min_row=2, values_only=True))
    assert ("甘政办发〔2018〕145号", 11000, 11180, "achieved") in {
        (r[1], r[8], r[9], r[14]) for r in summary
    }
    assert ("甘政办发〔2018〕145号", 5000, 4910, "missed") in {
        (r[1], r[8], r[9], r[14]) for r in summary
    }


def test_analyst_of_beihai_only_cannot_export_gansu(demo, django_user_model, client):
    beihai = Region.objects.get(code="450500")
    make_user(django_user_model, "analyst_bh", (Membership.Role.ANALYST, beihai))
    client.login(username="analyst_bh", password=PASSWORD)
    params = {"start": "2020Q1", "end": "2020Q4"}
    assert client.get(EXPORT, {"region": "620000", **params}).status_code == 404
    assert client.get(EXPORT, {"region": "620100", **params}).status_code == 404
    assert client.get(EXPORT, {"region": "450500", **params}).status_code == 200
    page = client.get(reverse("indicators:reports")).content.decode()
    assert "450500" in page and "620000" not in page


def test_bad_report_parameters_get_the_form_with_errors(demo, login):
    client = login("analyst")
    response = client.get(EXPORT, {"region": "620000", "start": "2022Q4", "end": "2020Q1"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    response = client.get(EXPORT, {"region": "620000", "start": "2022Q5", "end": "2023Q1"})
    assert response.status_code == 400


@pytest.mark.parametrize("username", ["leader_gansu", "analyst", "reviewer_beihai"])
def test_leaders_analysts_and_reviewers_cannot_import(demo, login, username):
    client = login(username)
    assert client.get(IMPORT).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert client.post(CONFIRM, {"token": "x"}).status_code == 403


def test_nav_shows_reports_to_analysts_and_import_to_officials(demo, login):
    page = login("analyst").get("/").content.decode()
    assert reverse("indicators:reports") in page and IMPORT not in page
    page = login("official_beihai").get("/").content.decode()
    assert IMPORT in page and reverse("indicators:reports") not in page


def test_template_lists_the_officials_reporting_regions_prefilled(demo, login):
    wb = _workbook(login("official_beihai").get(TEMPLATE, {"period": "2026Q3"}))
    rows = list(wb["填报 Counts"].iter_rows(min_row=2, values_only=True))
    stored = {
        c.indicator.code: c.value
        for c in QuarterlyCount.objects.filter(region__code="450500", year=2026, quarter=3)
    }
    assert [r[:5] for r in rows] == [
        ("450500", "北海市", "2026Q3", stored["certificates"], stored["organizations"])
    ]


def test_upload_preview_confirm_then_reimport_changes_nothing(demo, login):
    client = login("official_beihai")
    data = _filled_template(client, {"D2": 600, "E2": 220})
    response = _upload(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "import-changes" in page and "600" in page and "220" in page
    assert not QuarterlyCount.objects.filter(region__code="450500", year=2017, quarter=3).exists()
    token = client.session["certtrack_import"]["token"]
    response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 302
    saved = {
        c.indicator.code: c
        for c in QuarterlyCount.objects.filter(region__code="450500", year=2017, quarter=3)
    }
    assert saved["certificates"].value == 600 and saved["organizations"].value == 220
    assert saved["certificates"].status == QuarterlyCount.Status.DRAFT
    assert "certtrack_import" not in client.session
    events = CountEvent.objects.count()
    response = _upload(client, data)
    assert "import-changes" not in response.content.decode()
    assert "certtrack_import" not in client.session
    assert CountEvent.objects.count() == events


def test_official_cannot_import_into_another_region(demo, login):
    client = login("official_beihai")
    data = _filled_template(client, {"A2": "620100", "D2": 1, "E2": 1})
    response = _upload(client, data)
    assert response.status_code == 400
    assert "620100" in response.content.decode()
    assert "certtrack_import" not in client.session
    assert not QuarterlyCount.objects.filter(region__code="620100", year=2017, quarter=3).exists()


def test_service_errors_show_in_the_preview_by_row_and_column(demo, login):
    client = login("official_beihai")
    data = _filled_template(client, {"D2": 10, "E2": 20})  # organizations > certificates
    response = _upload(client, data)
    assert response.status_code == 400
    errors = response.context["issues"]
    assert [(e.row, e.column) for e in errors] == [(2, "E")]
    assert "certtrack_import" not in client.session


def test_oversized_upload_is_refused_before_parsing(demo, login):
    client = login("official_beihai")
    response = _upload(client, b"PK\x03\x04" + b"\0" * MAX_UPLOAD_BYTES)
    assert response.status_code == 400
    assert "2 MB" in response.content.decode()


def test_not_a_workbook_upload_is_reported(demo, login):
    response = _upload(login("official_beihai"), b"a,b\n1,2\n", name="counts.csv")
    assert response.status_code == 400
    assert response.context["issues"][0].row is None


def test_stale_preview_is_refused_at_confirm(demo, login):
    client = login("official_beihai")
    response = _upload(client, _filled_template(client, {"D2": 600, "E2": 220}))
    token = client.session["certtrack_import"]["token"]
    # Someone saves the quarter through the entry form meanwhile.
    from django.contrib.auth import get_user_model

    from indicators.services.counts import counts_save

    counts_save(
        user=get_user_model().objects.get(username="official_beihai"),
        region=Region.objects.get(code="450500"),
        period=Quarter(2017, 3),
        values={"certificates": 500},
        expected_versions={"certificates": None},
    )
    response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 409
    assert response.context["stale"]
    count = QuarterlyCount.objects.get(region__code="450500", year=2017, quarter=3)
    assert count.value == 500
    assert not QuarterlyCount.objects.filter(
        indicator__code="organizations", year=2017, quarter=3
    ).exists()


def test_confirm_without_a_matching_preview_changes_nothing(demo, login):
    client = login("official_beihai")
    response = client.post(CONFIRM, {"token": "forged"})
    assert response.status_code == 302
    assert not QuarterlyCount.objects.filter(year=2017, quarter=3).exists()


def test_import_page_is_translated(demo, login):
    client = login("official_beihai")
    assert "从 Excel 导入" in client.get(IMPORT).content.decode()
