"""/reports/brief.docx: permissions, defaults, bad parameters (a styled 400 page), the links to
it, and the numbers of the downloaded brief equal to the JSON endpoints' for the same parameters
(read back with python-docx). The last test renders the brief with LibreOffice (skipped where
``soffice`` is absent): the app itself never needs it."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from docx import Document

from indicators.periods import Quarter

BRIEF = reverse("indicators:report_brief")
PARAMS = {"region": "620000", "as_of": "2026Q3", "values": "approved"}


@pytest.fixture
def login(client, settings):
    def _login(username):
        client.logout()
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        return client

    return _login


def _docx(response) -> Document:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    return Document(io.BytesIO(b"".join(response.streaming_content)))


def _json(client, code: str, dataset: str, params: dict) -> list[dict]:
    response = client.get(
        reverse("indicators:region_data", args=[code, dataset, "json"]),
        {"as_of": params["as_of"], "values": params["values"]},
    )
    assert response.status_code == 200
    return response.json()["rows"]


def _num(value) -> str:
    return "—" if value is None else f"{value:,}"


def _pct(value) -> str:
    return "—" if value is None else f"{value:.2f}%"


def test_anonymous_is_sent_to_login(client, db):
    assert client.get(BRIEF).status_code == 302


@pytest.mark.parametrize("values", ["approved", "submitted"])
def test_numbers_equal_the_json_endpoints(demo, login, values):
    client = login("leader_gansu")
    params = {**PARAMS, "values": values}
    doc = _docx(client.get(BRIEF, params))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]

    # Targets: one table per indicator, the rows in the targets JSON's order.
    targets = _json(client, "620000", "targets", params)
    brief_targets = [row for t in tables if t[0][0] == "方案" for row in t[1:]]
    assert len(brief_targets) == len(targets) > 0
    for cells, rec in zip(brief_targets, targets, strict=True):
        assert cells[1] == f"{rec['due']} ≥ {rec['target']:,}"
        assert cells[2].split("\n")[0] == _num(rec["value"])
        assert cells[3] == _pct(rec["percent"])
        increase = rec["increase_percent"]
        assert cells[4].split("\n")[0] == _pct(increase)
        if increase is not None:  # the baseline quarter named under the share
            assert cells[4].split("\n")[1] == f"({rec['baseline_quarter']})"
        assert cells[5] == ("—" if rec["gap"] is None else f"{rec['gap']:+,}")
        forecast = rec["forecast_value"]
        # rounded half up to a whole number, as the dashboard writes it (issue 22.7)
        whole = None if forecast is None else int(Decimal(str(forecast)).quantize(1, ROUND_HALF_UP))
        assert cells[7] == _num(whole)
        assert cells[8] == _num(rec["needed_per_quarter"])

    # Divisions: value, share and year on year of the children JSON.
    children = _json(client, "620000", "children", params)
    brief_children = [row for t in tables if t[0][0] == "地区" for row in t[1:-1]]
    assert len(brief_children) == len(children) == 28  # 14 prefectures × 2 indicators
    for cells, rec in zip(brief_children, children, strict=True):
        assert cells[0] == rec["child_name"]
        assert cells[1].split("（")[0] == _num(rec["value"])
        assert cells[2] == _pct(rec["share_pct"])
        assert cells[3] == _pct(rec["yoy_pct"])

    # Headline: the latest complete value up to as_of, as in the series JSON.
    text = "\n".join(p.text for p in doc.paragraphs)
    for indicator in ("certificates", "organizations"):
        series = [
            r
            for r in _json(client, "620000", "series", params)
            if r["indicator"] == indicator and r["measured"] and r["complete"]
        ]
        latest = series[-1]
        assert f"证书{latest['value']:,}张" in text or f"(组织){latest['value']:,}家" in text
        q = Quarter.parse(latest["quarter"])
        year_ago = next(r for r in series if r["quarter"] == str(q - 4))
        change = (latest["value"] - year_ago["value"]) * 100 / year_ago["value"]
        assert f"同比增长{change:.2f}%（上年同期{year_ago['value']:,}" in text


def test_defaults_are_the_users_region_last_complete_quarter_and_the_default_values(demo, login):
    client = login("leader_gansu")
    doc = _docx(client.get(BRIEF))
    last = Quarter.last_complete()
    assert doc.paragraphs[0].text.startswith("甘肃省质量认证目标进展情况")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"{last.year}年第" in doc.paragraphs[0].text
    # The one default of every leader-facing output, by its one name (docs/glossary.md).
    assert "取值范围：已审核及待审核数据。" in text


def test_a_later_quarter_is_taken_as_the_last_complete_one(demo, login):
    client = login("leader_gansu")
    later = _docx(client.get(BRIEF, {**PARAMS, "as_of": "2999Q4"}))
    last = Quarter.last_complete()
    assert f"（{last.year}年第" in later.paragraphs[0].text


def test_region_outside_the_scope_is_404_and_inside_200(demo, login):
    client = login("official_lanzhou")
    assert client.get(BRIEF, PARAMS).status_code == 404  # 甘肃省: above the official's city
    assert client.get(BRIEF, {**PARAMS, "region": "450500"}).status_code == 404
    assert client.get(BRIEF, {**PARAMS, "region": "999999"}).status_code == 404  # no such region
    doc = _docx(client.get(BRIEF, {**PARAMS, "region": "620100"}))
    assert doc.paragraphs[0].text.startswith("兰州市")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"as_of": "2026Q5"}, "不是有效的季度"),
        ({"values": "everything"}, "everything"),
    ],
)
def test_bad_parameters_give_the_styled_reports_page_with_the_error(demo, login, params, message):
    client = login("leader_gansu")
    response = client.get(BRIEF, {**PARAMS, **params})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<form method="get" action="/reports/brief.docx"' in page
    assert "errorlist" in page and message in page and "</html>" in page


def test_brief_in_english_for_an_english_session(demo, login, settings):
    client = login("leader_beihai")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    doc = _docx(client.get(BRIEF, {**PARAMS, "region": "450500"}))
    # Approved values only: Beihai's 2026Q3 count awaits review, so the figures are 2026Q2's
    # and the title names that quarter, not the one asked for (issue 22.7).
    assert doc.paragraphs[0].text == (
        "Beihai: progress on the quality certification targets (Q2 2026)"
    )
    text = "\n".join(p.text for p in doc.paragraphs)
    assert (
        "The figures for Q3 2026 are not complete yet: figures as of the end of Q2 2026; "
        "target statuses as of Q3 2026." in text
    )
    assert "Demo data: the figures in this brief are generated for demonstration" in text


def test_dashboard_and_reports_page_link_to_the_brief(demo, login):
    client = login("leader_gansu")
    page = client.get(reverse("indicators:region_dashboard", args=["620000"])).content.decode()
    last = Quarter.last_complete()
    assert f'href="{BRIEF}?region=620000&amp;as_of={last}"' in page
    chosen = client.get(
        reverse("indicators:region_dashboard", args=["620100"]), {"values": "submitted"}
    ).content.decode()
    assert f'href="{BRIEF}?region=620100&amp;as_of={last}&amp;values=submitted"' in chosen
    reports = client.get(reverse("indicators:reports")).content.decode()
    assert 'action="/reports/brief.docx"' in reports and 'id="id_brief_region"' in reports


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) not installed")
def test_brief_renders_to_pdf_and_png_pages(demo, login, tmp_path):
    """A look at the document as a reader sees it: LibreOffice → PDF → PNG (pdftoppm). The PNG
    pages stay in tmp_path for a person to look at (pytest --basetemp=… keeps them)."""
    client = login("leader_gansu")
    response = client.get(BRIEF, PARAMS)
    docx_path = tmp_path / "brief.docx"
    docx_path.write_bytes(b"".join(response.streaming_content))
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
         "pdf", "--outdir", str(tmp_path), str(docx_path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "brief.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # title and overview, targets with charts, divisions, …
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pages)
    # The text is text, not a picture: the PDF carries the Chinese title as words.
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, timeout=60
        ).stdout.decode()
        assert "甘肃省质量认证目标进展情况" in out.replace(" ", "").replace("\n", "")
