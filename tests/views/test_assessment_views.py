# ruff: noqa: F811 (the "ranked" fixture is imported from the selector tests)
"""The assessment ranking through every output (page, JSON/CSV, Excel sheet, Word brief: the
same points and ranks), its "why this rank" derivation, and the weights page (a target
manager's recorded decision, audited). Numbers: the worked example of
tests/selectors/test_assessment.py (docs/progress.md, "Assessment")."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import timezone, translation
from docx import Document
from openpyxl import load_workbook

from indicators.exports.assessment import SHEET_ASSESSMENT
from indicators.models import AssessmentWeights
from regions.models import Membership
from tests.conftest import PASSWORD, make_region, make_user
from tests.selectors.test_assessment import ranked, report  # noqa: F401 (fixture, helper)

PAGE = "/regions/990000/assessment/?as_of=2019Q4"
# (code, rank, score, progress, growth, timeliness, quality), as computed by hand
EXPECTED = [
    ("990200", 1, "90.00", "100.00", "100.00", "75.00", "75.00"),
    ("990100", 2, "72.85", "54.00", "56.25", "100.00", "100.00"),
    ("990300", 3, "48.78", "13.50", "16.88", "100.00", "100.00"),
]


@pytest.fixture
def leader(client, ranked, django_user_model):
    make_user(django_user_model, "lp", (Membership.Role.LEADER, ranked["province"]))
    client.login(username="lp", password=PASSWORD)
    return client


def _page_rows(html: str) -> list[tuple]:
    rows = []
    for code, body in re.findall(r'<tr data-child="(\d+)"[^>]*>(.*?)</tr>', html, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)
        ]
        rows.append((code, int(cells[0]), *cells[2:7]))
    return rows


def _bytes(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _f(value) -> str:
    return f"{float(value):.2f}"


def test_page_json_csv_excel_and_brief_give_the_same_points_and_ranks(leader, ranked):
    html = leader.get(PAGE).content.decode()
    assert _page_rows(html) == EXPECTED

    body = leader.get("/regions/990000/assessment.json?as_of=2019Q4").json()
    columns = ("progress_points", "growth_points", "timeliness_points", "quality_points")
    as_json = [(r["child_code"], r["rank"], _f(r["score"]), *(_f(r[c]) for c in columns))
               for r in body["rows"]]  # fmt: skip
    assert as_json == EXPECTED
    assert body["meta"]["weights"] == {
        "progress": 40,
        "growth": 20,
        "timeliness": 20,
        "quality": 20,
    }

    text = leader.get("/regions/990000/assessment.csv?as_of=2019Q4").content.decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    as_csv = [(r["child_code"], int(r["rank"]), _f(r["score"]), *(_f(r[c]) for c in columns))
              for r in records]  # fmt: skip
    assert as_csv == EXPECTED
    # the derivation travels in the same row: C's inputs, by hand (docs/progress.md)
    c = next(r for r in records if r["child_code"] == "990300")
    assert (c["certificates_target"], c["certificates_baseline"], c["certificates_value"]) == (
        "266.67", "200", "205",
    )  # fmt: skip
    assert c["certificates_path"] == "237.04" and c["quality_judged"] == "3"
    assert (
        "2019Q4 990300 deadline 2020-01-20 submitted 2020-01-18 10:00 (on time) awaiting review"
        in c["submissions"]
    )

    xlsx = leader.get("/reports/export.xlsx", {"region": "990000", "start": "2019Q1",
                                                "end": "2019Q4", "values": "submitted"})  # fmt: skip
    ws = load_workbook(io.BytesIO(_bytes(xlsx)))[SHEET_ASSESSMENT]
    head = [c.value for c in ws[1]]
    sheet = [dict(zip(head, r, strict=False)) for r in ws.iter_rows(min_row=2, values_only=True)]
    sheet = [r for r in sheet if isinstance(r["排名 Rank [rank]"], int)]
    as_xlsx = [(r["地区代码 Division code [child_code]"], r["排名 Rank [rank]"], _f(r["得分 Score [score]"]),
                *(_f(r[h]) for h in head if h.endswith(tuple(f"[{c}]" for c in columns))))
               for r in sheet]  # fmt: skip
    assert as_xlsx == EXPECTED

    docx = leader.get("/reports/brief.docx", {"region": "990000", "as_of": "2019Q4",
                                               "values": "submitted"})  # fmt: skip
    doc = Document(io.BytesIO(_bytes(docx)))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text in ("名次", "Rank"))
    names = {"990100": "A", "990200": "B", "990300": "C"}
    as_brief = [tuple(c.text for c in row.cells) for row in table.rows[1:]]
    assert as_brief == [(str(r), names[code], *rest) for code, r, *rest in EXPECTED]


def test_each_row_opens_its_derivation(leader):
    html = leader.get(PAGE).content.decode()
    why = html[html.index('data-why="990100"') :]
    why = why[: why.index("</details>")]
    # A: allocated 600, baseline 400 (2018Q3), value 460 (2019Q4), path 511.11: 60 ÷ 111.11 = 54
    for text in ("600", "400 (2018Q3)", "460 (2019Q4)", "511.11", "60 ÷ 111.11", "54.00",
                 "410 (2018Q4)", "422.22", "50 ÷ 88.89", "56.25", "2020-01-20", "2020-01-10"):  # fmt: skip
        assert text in why, text
    assert "54.00 × 40.00% + 56.25 × 20.00% + 100.00 × 20.00% + 100.00 × 20.00% = 72.85" in why


def test_no_setting_name_or_data_format_word_on_the_page(leader):
    for lang in ("zh-hans", "en"):
        html = leader.get(PAGE, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
        assert "CERTTRACK" not in html
        assert not re.search(r">\s*(JSON|CSV)\s*<", html)


def test_a_division_without_data_is_listed_unranked(leader, ranked):
    make_region("990400", "D", parent=ranked["province"], reporting=False)
    with translation.override("zh-hans"):
        html = leader.get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    row = html[html.index('data-child="990400"') :]
    assert "无数据，不参与排名" in row[: row.index("</tr>")]


def test_a_target_manager_records_weights_audited_and_carried_everywhere(
    client,
    ranked,
    django_user_model,
):
    """Weights 50/10/20/20: A (50×54 + 10×56.25 + 20×100 + 20×100) ÷ 100 = 72.6250 → 72.63."""
    manager = make_user(
        django_user_model, "tm", (Membership.Role.TARGET_MANAGER, ranked["province"])
    )
    client.login(username="tm", password=PASSWORD)
    url = f"/plans/{ranked['plan'].pk}/assessment-weights/"
    assert client.get(url).status_code == 200
    post = {"progress": "50", "growth": "10", "timeliness": "20", "quality": "20", "next": PAGE}
    response = client.post(url, post)
    assert response.status_code == 302 and response["Location"] == PAGE
    decision = AssessmentWeights.objects.get()
    assert (decision.as_text(), decision.decided_by, decision.previous) == (
        "50/10/20/20",
        manager,
        None,
    )
    client.post(url, {**post, "progress": "40", "growth": "20"})
    latest = AssessmentWeights.objects.order_by("-pk").first()
    assert latest.previous == decision  # old → new kept
    history = client.get(url).content.decode()
    assert "50/10/20/20 → 40/20/20/20" in history and "40/20/20/20 → 50/10/20/20" in history
    client.post(url, {**post})  # back to 50/10/20/20
    html = client.get(PAGE).content.decode()
    assert dict((r[0], r[2]) for r in _page_rows(html))["990100"] == "72.63"
    assert "weights-decision" in html
    assert timezone.localtime(latest.decided_at).strftime("%Y-%m-%d") in html  # shown local
    # the manager's way from the ranking to the weights and back
    assert f"{url}?next=/regions/990000/assessment/%3Fas_of%3D2019Q4" in html
    body = client.get("/regions/990000/assessment.json?as_of=2019Q4").json()
    assert body["meta"]["weights"]["progress"] == 50 and body["meta"]["weights_decided_by"] == "tm"


@pytest.mark.parametrize(
    "post, field",
    [
        ({"progress": "50", "growth": "20", "timeliness": "20", "quality": "20"}, "__all__"),
        ({"progress": "x", "growth": "20", "timeliness": "20", "quality": "20"}, "progress"),
        ({"progress": "-40", "growth": "20", "timeliness": "20", "quality": "20"}, "progress"),
        ({"progress": "140", "growth": "0", "timeliness": "0", "quality": "0"}, "progress"),
    ],
)
def test_bad_weights_are_refused_and_nothing_is_written(
    client, ranked, django_user_model, post, field
):
    make_user(django_user_model, "tm", (Membership.Role.TARGET_MANAGER, ranked["province"]))
    client.login(username="tm", password=PASSWORD)
    response = client.post(f"/plans/{ranked['plan'].pk}/assessment-weights/", post)
    assert response.status_code == 400
    assert field == "__all__" or response.context["form"].errors[field]
    assert not AssessmentWeights.objects.exists()


def test_only_a_target_manager_may_set_weights(client, ranked, django_user_model):
    make_user(django_user_model, "lp", (Membership.Role.LEADER, ranked["province"]))
    make_user(django_user_model, "ta", (Membership.Role.TARGET_MANAGER, ranked["a"]))
    post = {"progress": "25", "growth": "25", "timeliness": "25", "quality": "25"}
    url = f"/plans/{ranked['plan'].pk}/assessment-weights/"
    client.login(username="lp", password=PASSWORD)
    assert client.post(url, post).status_code == 403
    # A's manager sees the weights (A has a target of the plan: its allocation) but may not set
    # them: they are the decision of the plan's region.
    client.login(username="ta", password=PASSWORD)
    assert client.get(url).status_code == 200
    assert client.post(url, post).status_code == 403
    assert not AssessmentWeights.objects.exists()


def test_outsiders_never_see_the_ranking(client, ranked, django_user_model):
    make_user(django_user_model, "out", (Membership.Role.LEADER, ranked["other"]))
    client.login(username="out", password=PASSWORD)
    for path in ("/regions/990000/assessment/", "/regions/990000/assessment.json",
                 f"/plans/{ranked['plan'].pk}/assessment-weights/"):  # fmt: skip
        assert client.get(path).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, ranked):
    for path in (PAGE, f"/plans/{ranked['plan'].pk}/assessment-weights/"):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"/plans/{ranked['plan'].pk}/assessment-weights/", {}).status_code == 302
    assert not AssessmentWeights.objects.exists()


def _why_quarters(html: str, code: str) -> list[tuple[str, bool]]:
    """The unit quarters a division's "why this rank" lists (its reporting table's rows), each
    with whether it is flagged (late, not submitted or returned)."""
    why = html[html.index(f'data-why="{code}"') :]
    why = why[: why.index("</details>")]
    rows = re.findall(r"<td>[^<]*</td><td>(\d{4}Q\d)</td>(.*?)</tr>", why, re.S)
    return [(quarter, 'class="flag"' in rest) for quarter, rest in rows]


def test_why_lists_a_bounded_number_of_unit_quarters_costly_ones_first(leader, monkeypatch):
    # 990200 reported 4 quarters, one of them late (timeliness 3 of 4 = 75.00): with room for
    # one row, the late one is listed and the other 3 are behind a link (issue 25.3: the
    # nation's page listed 12,761 unit quarters).
    from indicators.views import targets

    full = _why_quarters(leader.get(PAGE).content.decode(), "990200")
    assert len(full) == 4 and sum(flag for _q, flag in full) == 1
    monkeypatch.setattr(targets, "WHY_ROWS", 1)
    with translation.override("en"):
        html = leader.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _why_quarters(html, "990200") == [next(r for r in full if r[1])]  # the late one
    why = html[html.index('data-why="990200"') :]
    why = why[: why.index("</details>")]
    assert "3 more unit quarters are counted below but not listed here." in why
    assert "why=990200#why-990200" in why
    # The link lists them all for that division and opens its derivation; the others stay short.
    html = leader.get(PAGE + "&why=990200").content.decode()
    assert sorted(_why_quarters(html, "990200")) == sorted(full)
    assert "<details open>" in html[html.index('data-why="990200"') :]
    assert len(_why_quarters(html, "990100")) <= 1
