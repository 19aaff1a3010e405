"""The analysts' report as LibreOffice prints it (issue 26): the demo Gansu report of every
quarter, converted to PDF by ``soffice --headless``, fits in a few dozen pages (without print
settings it took 171 pages of two-column strips). Skipped where LibreOffice is not installed
(CI does not install it; ``apt-get install libreoffice-calc-nogui`` runs it)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from indicators.exports.report import SHEET_CHART, report_workbook
from indicators.models import Indicator
from indicators.periods import Quarter
from indicators.selectors.reports import report_data
from regions.models import Region

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def _pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF LibreOffice wrote (its page objects are plain, not in object streams)."""
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def test_gansu_report_prints_in_a_few_dozen_pages_in_libreoffice(demo, tmp_path, django_user_model):
    analyst = django_user_model.objects.get(username="analyst")
    data = report_data(
        user=analyst,
        root=Region.objects.get(code="620000"),
        start=Quarter(2018, 1),
        end=Quarter(2026, 3),
        indicators=list(Indicator.objects.all()),
    )
    wb = report_workbook(data=data, generated_by="分析员", generated_at=dt.datetime(2026, 10, 5))
    path = tmp_path / "gansu.xlsx"
    wb.save(path)
    profile = tmp_path / "profile"  # a profile of its own: never the user's, never shared
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pages = _pdf_pages((tmp_path / "gansu.pdf").read_bytes())
    # 16 regions × 2 indicators × 35 quarters = 1,120 Quarterly rows one page wide (~90 rows a
    # page at the fitted scale: 13 pages), plus Summary, Wide, Chart, About, ranking and tasks:
    # 20 pages in LibreOffice 7.4. A sheet printed in strips again would be well over 40.
    assert 7 <= pages <= 40, pages
    assert len(wb.sheetnames) == 7 and SHEET_CHART in wb.sheetnames
