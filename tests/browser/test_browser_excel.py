"""Headless Chromium: an official round-trips the template; the analyst downloads a report."""

import io

import pytest
from openpyxl import load_workbook

from indicators.models import QuarterlyCount
from tests.browser.test_browser_smoke import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_official_downloads_fills_uploads_previews_and_confirms(
    page, live_server, demo, settings, tmp_path
):
    sign_in(page, live_server.url, "official_beihai", settings.CERTTRACK["DEMO_PASSWORD"])
    page.wait_for_url(f"{live_server.url}/home/")  # the to-do home (issue 14)
    page.goto(f"{live_server.url}/")  # the overview, one click away
    page.click("nav.main-nav >> text=导入")
    page.select_option("#id_period", "2017Q3")  # before the demo series: a quarter without data
    with page.expect_download() as info:
        page.click("button:has-text('下载模板')")
    assert info.value.suggested_filename.startswith("CertTrack_template_2017Q3_")
    with open(info.value.path(), "rb") as handle:  # the download has no .xlsx suffix
        wb = load_workbook(io.BytesIO(handle.read()))
    ws = wb["填报 Counts"]
    assert ws["A2"].value == "450500" and ws["C2"].value == "2017Q3"
    ws["D2"], ws["E2"] = 612, 229
    filled = tmp_path / "beihai.xlsx"
    wb.save(filled)

    page.set_input_files("#id_file", str(filled))
    page.click("text=上传并预览")
    preview = page.locator("table.import-changes")
    assert preview.is_visible()
    assert "612" in preview.inner_text() and "229" in preview.inner_text()
    assert not QuarterlyCount.objects.filter(year=2017, quarter=3).exists()

    page.click("button[name=confirm]")
    page.wait_for_load_state()
    assert "已导入" in page.locator(".message.success").inner_text()
    saved = dict(
        QuarterlyCount.objects.filter(region__code="450500", year=2017, quarter=3).values_list(
            "indicator__code", "value"
        )
    )
    assert saved == {"certificates": 612, "organizations": 229}


def test_analyst_downloads_the_gansu_report(page, live_server, demo, settings):
    sign_in(page, live_server.url, "analyst", settings.CERTTRACK["DEMO_PASSWORD"])
    page.wait_for_url(f"{live_server.url}/home/")  # the to-do home (issue 14)
    page.goto(f"{live_server.url}/")  # the overview, one click away
    page.click("nav.main-nav >> text=报表")
    page.select_option("#id_region", "620000")
    page.fill("#id_start", "2020Q1")
    page.fill("#id_end", "2022Q4")
    with page.expect_download() as info:
        page.click("text=下载 Excel 报表")
    download = info.value
    assert download.suggested_filename.startswith("CertTrack_甘肃省_620000_2020Q1-2022Q4_")
    with open(download.path(), "rb") as handle:
        wb = load_workbook(io.BytesIO(handle.read()))
    assert wb.sheetnames == [
        "汇总 Summary",
        "季度数据 Quarterly",
        "宽表 Wide",
        "图表 Chart",
        "说明 About",
        "考核排名 Assessment",
        "任务进展 Tasks",
    ]
    rows = {
        (r[0], r[5], r[9]): r[10]
        for r in wb["季度数据 Quarterly"].iter_rows(min_row=2, values_only=True)
    }
    assert rows[("620000", "certificates", "2020Q4")] == 11180
