"""Register pages: scope (404 outside), importing needs a reviewer, upload → preview → confirm,
the data endpoints' columns, the certificate list and its export, bounded query counts."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regions.models import Membership
from register.charts import REGISTER_COLOUR
from register.models import Certificate, RegisterImport
from tests.conftest import make_count, make_indicator, make_user
from tests.register.conftest import credit_code, csv_bytes, load

R = Membership.Role
LANZHOU = credit_code("620100", 1)
ROWS = [
    ["QMS-1", "机构甲", "ISO 9001", "组织A", LANZHOU, "2022-01-10", "2025-01-09", "有效", ""],
    ["EMS-1", "机构甲", "ISO 14001", "组织A", LANZHOU, "2022-01-10", "2025-01-09", "有效", ""],
    [
        "CCC-1",
        "机构乙",
        "CCC",
        "组织B",
        credit_code("620500", 2),
        "2021-05-01",
        "2026-04-30",
        "暂停",
        "2023-08-01",
    ],
]


@pytest.fixture
def users(rtree, types, django_user_model):
    return dict(
        reviewer=make_user(django_user_model, "rev_gansu", (R.REVIEWER, rtree["gansu"])),
        beihai=make_user(django_user_model, "rev_beihai", (R.REVIEWER, rtree["beihai"])),
        official=make_user(django_user_model, "off_lanzhou", (R.OFFICIAL, rtree["lanzhou"])),
    )


def _upload(client, data, name="register.csv", **extra):
    return client.post(
        reverse("register:import"), {"file": SimpleUploadedFile(name, data), **extra}
    )


def test_register_pages_need_sign_in(client, rtree):
    response = client.get(reverse("register:region", args=["620000"]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_region_outside_the_scope_is_a_404_everywhere(client, users):
    load(csv_bytes(ROWS))
    client.force_login(users["beihai"])
    for url in (
        reverse("register:region", args=["620000"]),
        reverse("register:region_data", args=["620000", "json"]),
        reverse("register:certificates", args=["620100"]),
        reverse("register:certificates_export", args=["620100"]),
    ):
        assert client.get(url).status_code == 404, url


def test_only_reviewers_and_administrators_import(client, users):
    client.force_login(users["official"])
    assert client.get(reverse("register:import")).status_code == 403
    client.force_login(users["reviewer"])
    assert client.get(reverse("register:import")).status_code == 200


def test_upload_previews_then_confirm_saves_the_rows_in_scope(client, users):
    client.force_login(users["reviewer"])
    beihai_row = ["QMS-9", "机构甲", "ISO 9001", "组织C", credit_code("450500", 3),
                  "2022-01-10", "2025-01-09", "有效", ""]  # fmt: skip
    response = _upload(client, csv_bytes([*ROWS, beihai_row], encoding="gb18030"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "450500" in page  # the refused row of another province, named with its region
    assert not Certificate.objects.exists()  # a preview writes nothing
    token = client.session["register_import"]["token"]
    response = client.post(reverse("register:import_confirm"), {"token": token})
    assert response.status_code == 302
    assert sorted(Certificate.objects.values_list("number", flat=True)) == [
        "CCC-1",
        "EMS-1",
        "QMS-1",
    ]
    record = RegisterImport.objects.get()
    assert (record.rows_added, record.rows_refused, record.user) == (3, 1, users["reviewer"])
    # the same file again: nothing to confirm, and the earlier import is named
    response = _upload(client, csv_bytes([*ROWS, beihai_row], encoding="gb18030"))
    assert "register_import" not in client.session
    assert RegisterImport.objects.count() == 1


def test_imports_are_listed_only_to_those_who_see_their_region(client, users):
    load(csv_bytes(ROWS))
    client.force_login(users["beihai"])
    page = client.get(reverse("register:import")).content.decode()
    assert "register.csv" not in page
    client.force_login(users["reviewer"])
    assert "register.csv" in client.get(reverse("register:import")).content.decode()


def test_json_and_csv_carry_one_row_per_quarter_indicator_and_type(client, users):
    load(csv_bytes(ROWS))
    certificates = make_indicator("certificates", 1)
    make_indicator("organizations", 2)
    make_count(users["reviewer"].memberships.get().region, certificates, "2024Q1", 4)
    client.force_login(users["reviewer"])
    url = reverse("register:region_data", args=["620000", "json"])
    data = json.loads(client.get(url, {"from": "2024Q1", "as_of": "2024Q1"}).content)
    assert data["columns"][:8] == [
        "region_code", "period", "indicator", "type_group", "type",
        "register_value", "reported_value", "difference",
    ]  # fmt: skip
    total = next(
        r for r in data["rows"] if r["indicator"] == "certificates" and not r["type_group"]
    )
    # 2024-03-31: QMS-1 and EMS-1 valid, CCC-1 suspended since 2023-08-01: 2; reported 4
    assert (total["register_value"], total["reported_value"], total["difference"]) == (2, 4, 2)
    orgs = next(
        r for r in data["rows"] if r["indicator"] == "organizations" and not r["type_group"]
    )
    assert orgs["register_value"] == 1  # 组织A holds both
    by_type = [r for r in data["rows"] if r["indicator"] == "certificates" and r["type"]]
    assert sum(r["register_value"] for r in by_type) == 2
    csv_text = client.get(
        reverse("register:region_data", args=["620000", "csv"]),
        {"from": "2024Q1", "as_of": "2024Q1"},
    ).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == len(data["rows"])
    assert client.get(url, {"from": "soon"}).status_code == 400


def test_the_certificates_behind_a_number_filtered_and_exported(client, users):
    load(csv_bytes(ROWS))
    client.force_login(users["reviewer"])
    url = reverse("register:certificates", args=["620000"])
    page = client.get(url, {"period": "2024Q1"}).content.decode()
    assert "QMS-1" in page and "EMS-1" in page and "CCC-1" not in page  # suspended then
    page = client.get(url, {"period": "2024Q1", "type": "ems"}).content.decode()
    assert "EMS-1" in page and "QMS-1" not in page
    page = client.get(url, {"holder": "组织B"}).content.decode()  # every status, no period
    assert "CCC-1" in page and "QMS-1" not in page
    export = client.get(
        reverse("register:certificates_export", args=["620000"]), {"period": "2024Q1"}
    )
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("number,body,type") and len(lines) == 3


def test_the_register_page_shows_the_numbers_in_a_bounded_number_of_queries(
    client, users, django_assert_max_num_queries
):
    load(csv_bytes(ROWS))
    make_indicator("certificates", 1)
    make_indicator("organizations", 2)
    client.force_login(users["reviewer"])
    url = reverse("register:region", args=["620000"])
    with django_assert_max_num_queries(30):
        response = client.get(url, {"from": "2023Q1", "as_of": "2024Q1"})
    assert response.status_code == 200
    with django_assert_max_num_queries(30):
        client.get(url, {"from": "2016Q1", "as_of": "2024Q1"})  # 33 quarters: the same queries


def test_the_region_dashboard_draws_the_register_line_when_asked(client, users):
    load(csv_bytes(ROWS))
    make_indicator("certificates", 1)
    make_indicator("organizations", 2)
    client.force_login(users["reviewer"])
    url = reverse("indicators:region_dashboard", args=["620000"])

    def register_lines(params):
        page = client.get(url, params).content.decode()
        figure = page.split('id="chart-series-certificates-data"')[1].split("</script>")[0]
        figure = json.loads(figure.split(">", 1)[1])
        return [t for t in figure["data"] if t.get("line", {}).get("color") == REGISTER_COLOUR]

    assert register_lines({"as_of": "2024Q1"}) == []
    (line,) = register_lines({"register": "1", "as_of": "2024Q1"})
    # 2024-03-31: QMS-1 and EMS-1 valid (CCC-1 suspended since 2023-08-01)
    assert line["y"][line["x"].index("2024Q1")] == 2


def test_the_certificate_list_takes_the_same_queries_for_more_certificates(
    client, users, django_assert_max_num_queries
):
    many = [
        [f"Q-{i}", "机构甲", "ISO 9001", f"组织{i}", credit_code("620100", 100 + i),
         "2022-01-10", "2025-01-09", "有效", ""]
        for i in range(60)
    ]  # fmt: skip
    load(csv_bytes(many))
    client.force_login(users["reviewer"])
    url = reverse("register:certificates", args=["620000"])
    # one page of 50 rows: no query per row (type, holder and region come with the rows)
    with django_assert_max_num_queries(15):
        response = client.get(url, {"period": "2024Q1"})
    assert response.status_code == 200 and "Q-1" in response.content.decode()


def _queries(client, url, params) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context)


def test_register_pages_take_the_same_queries_for_ten_times_the_register(client, users):
    """The page, its JSON and the dashboard's register line read the kept cells: the number of
    queries does not grow with the certificates, their holders or their regions."""
    make_indicator("certificates", 1)
    make_indicator("organizations", 2)
    client.force_login(users["reviewer"])
    pages = [
        (reverse("register:region", args=["620000"]), {"from": "2021Q1", "as_of": "2024Q4"}),
        (reverse("register:region_data", args=["620000", "json"]), {"from": "2021Q1"}),
        (reverse("indicators:region_dashboard", args=["620000"]), {"register": "1"}),
    ]

    def rows(first, count):
        regions = ["620100", "620102", "620500"]
        return [
            [f"N-{i}", "机构甲", ["ISO 9001", "ISO 14001", "CCC"][i % 3], f"组织{i % 40}",
             credit_code(regions[i % 3], i % 40), f"202{1 + i % 3}-0{1 + i % 9}-10",
             "2026-01-09", "有效" if i % 5 else "暂停", "" if i % 5 else "2024-02-01"]
            for i in range(first, first + count)
        ]  # fmt: skip

    load(csv_bytes(rows(0, 20)))
    small = [_queries(client, url, params) for url, params in pages]
    load(csv_bytes(rows(20, 180)))
    assert Certificate.objects.count() == 200
    large = [_queries(client, url, params) for url, params in pages]
    assert small == large
    assert max(large) <= 30
