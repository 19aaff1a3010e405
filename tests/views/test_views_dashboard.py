"""Dashboard pages and their JSON/CSV: permissions, the numbers against the selectors, queries."""

import csv
import io

import pytest
from django.urls import reverse

from indicators.models import Plan, QuarterlyCount
from indicators.periods import Quarter
from indicators.rollups import rollups_deferred
from indicators.selectors.dashboards import region_dashboard
from indicators.selectors.plans import overview_plan_cards, plan_page
from indicators.selectors.values import Inclusion
from regions.models import Membership, Region
from tests.conftest import PASSWORD, make_count, make_plan, make_region, make_target, make_user

S = QuarterlyCount.Status


@pytest.fixture
def login(client, settings):
    def _login(username):
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        return client

    return _login


def gansu_plan():
    return Plan.objects.get(document_number="甘政办发〔2018〕145号")


def beihai_plan():
    return Plan.objects.get(document_number="北政办〔2018〕200号")


def data_url(code, dataset, fmt, **query):
    url = reverse("indicators:region_data", args=[code, dataset, fmt])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- permissions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/regions/620000/",
        "/regions/620000/series.json",
        "/regions/620000/children.csv",
        "/overview/targets.json",
        "/plans/3/",
        "/plans/3/trends.csv",
    ],
)
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "path",
    [
        "/regions/620000/",
        "/regions/620100/",
        "/regions/620000/series.json",
        "/regions/620000/series.csv",
        "/regions/620000/children.json",
        "/regions/620000/completeness.csv",
        "/regions/620000/targets.json",
    ],
)
def test_leader_of_beihai_cannot_open_gansu_or_its_data(demo, login, path):
    assert login("leader_beihai").get(path).status_code == 404


def test_plan_pages_follow_the_plans_scope(demo, login):
    beihai = login("leader_beihai")
    gansu = gansu_plan()
    assert beihai.get(reverse("indicators:plan_detail", args=[gansu.pk])).status_code == 404
    assert beihai.get(f"/plans/{gansu.pk}/targets.json").status_code == 404
    assert beihai.get(reverse("indicators:plan_detail", args=[beihai_plan().pk])).status_code == 200
    national = Plan.objects.get(document_number="国发〔2018〕3号")
    assert beihai.get(f"/plans/{national.pk}/").status_code == 404  # nationwide: superusers only


def test_unknown_region_dataset_or_format_is_404(demo, login):
    client = login("leader_gansu")
    assert client.get("/regions/999999/").status_code == 404
    assert client.get("/regions/620000/secrets.json").status_code == 404
    assert client.get("/regions/620000/series.xml").status_code == 404


def test_leader_sees_every_region_of_the_subtree(demo, login):
    client = login("leader_gansu")
    for code in ("620000", "620100", "620171", "623000"):
        assert client.get(f"/regions/{code}/").status_code == 200


def test_nav_links_to_the_dashboards_of_the_users_regions(demo, login):
    page = login("analyst").get("/").content.decode()
    assert 'href="/regions/620000/"' in page and 'href="/regions/450500/"' in page


# --- pages ------------------------------------------------------------------------------


def test_overview_shows_forecast_trend_and_links(demo, login):
    page = login("leader_gansu").get("/").content.decode()
    assert "11,000" in page and "4,910" in page and "status-missed" in page
    assert page.count('class="chart sparkline"') == 6  # 4 real targets and 2 demo ones
    assert 'href="/regions/620000/"' in page and f'href="/plans/{gansu_plan().pk}/"' in page
    assert "/overview/targets.csv" in page
    assert "<script>" not in page  # no inline script: charts.js draws from json_script


def test_region_dashboard_shows_every_chart_with_its_data(demo, login):
    client = login("leader_gansu")
    response = client.get("/regions/620000/")
    page = response.content.decode()
    # A chart per indicator, a breakdown per indicator, one heatmap; each with its figure JSON.
    for chart_id in ("chart-series-certificates", "chart-series-organizations",
                     "chart-children-certificates", "chart-children-organizations",
                     "chart-completeness"):  # fmt: skip
        assert f'id="{chart_id}"' in page and f'id="{chart_id}-data"' in page
    assert "value-discrepancy" in page and "value-incomplete" in page
    assert (
        "/static/vendor/plotly/plotly-cartesian.min.js" in page and "/static/js/charts.js" in page
    )
    dashboard = response.context["dashboard"]
    certs = dashboard.panels[0]
    assert f'data-value="{certs.latest_complete.value}"' in page
    # Every child links to its own dashboard.
    for child in certs.children:
        assert f'href="/regions/{child.code}/"' in page


def test_children_table_sorts_by_a_column(demo, login):
    client = login("leader_gansu")
    response = client.get("/regions/620000/?certificates-sort=growth")
    table = response.context["panels"][0]["children_table"]
    growth = [row.record.growth for row in table.rows]
    assert growth == sorted(growth)
    response = client.get("/regions/620000/?certificates-sort=-value")
    values = [row.record.value for row in response.context["panels"][0]["children_table"].rows]
    assert values == sorted(values, reverse=True)


def test_approved_only_leaves_out_beihais_quarter_awaiting_review(demo, login):
    client = login("leader_beihai")
    both = client.get("/regions/450500/").context["dashboard"].panels[0]
    approved = client.get("/regions/450500/?values=approved").context["dashboard"].panels[0]
    assert both.latest_complete.approved is False  # 2026Q3 is awaiting review
    assert approved.latest_complete.approved is True
    assert approved.latest_complete.period == both.latest_complete.period - 1


def test_plan_page_shows_lineage_status_and_targets(demo, login):
    client = login("analyst")
    beihai = beihai_plan()
    page = client.get(f"/plans/{beihai.pk}/").content.decode()
    assert "北政办〔2018〕200号" in page and "国发〔2018〕3号" in page  # lineage, by name
    assert "广西加强质量认证体系建设促进全面质量管理实施方案" in page
    assert "北海市人民政府办公室" in page and "2018-12-07" in page
    # the plan's 4 targets and their demo allocations to Beihai's 4 districts (2022: 2 × 4)
    assert page.count('class="chart sparkline"') == 4 + 8
    gansu = client.get(f"/plans/{gansu_plan().pk}/").content.decode()
    assert "甘政发〔2023〕60号" in gansu and "2023" in gansu


def test_pages_render_in_english(demo, login):
    client = login("leader_gansu")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/regions/620000/").content.decode()
    assert "Completeness: who has reported" in page and "Milestone path" in page


# --- data endpoints ---------------------------------------------------------------------


def test_series_json_holds_the_selectors_numbers(demo, login):
    client = login("leader_gansu")
    body = client.get(data_url("620000", "series", "json")).json()
    region = Region.objects.get(code="620000")
    dashboard = region_dashboard(region=region, as_of=Quarter.parse(body["meta"]["as_of"]))
    expected = {
        (p.code, str(s.period)): s.value for p in dashboard.panels for s in p.series
    }  # fmt: skip
    got = {(r["indicator"], r["quarter"]): r["value"] for r in body["rows"]}
    assert got == expected
    assert body["meta"] == {"dataset": "series", "as_of": body["meta"]["as_of"],
                            "values": "submitted", "region": "620000"}  # fmt: skip
    assert body["columns"][:4] == ["region_code", "indicator", "quarter", "measured"]


def test_csv_and_json_hold_the_same_records(demo, login):
    client = login("leader_gansu")
    for dataset in ("series", "children", "completeness", "targets"):
        body = client.get(data_url("620000", dataset, "json")).json()
        response = client.get(data_url("620000", dataset, "csv"))
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")  # Excel reads the Chinese names right
        rows = list(csv.DictReader(io.StringIO(text[1:])))
        assert list(rows[0]) == body["columns"]
        assert len(rows) == len(body["rows"])
        first = {k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v))
                 for k, v in body["rows"][0].items()}  # fmt: skip
        assert rows[0] == first


def test_children_json_has_shares_and_growth(demo, login):
    body = login("leader_gansu").get(data_url("620000", "children", "json")).json()
    lanzhou = next(
        r for r in body["rows"] if r["indicator"] == "certificates" and r["child_code"] == "620100"
    )
    assert lanzhou["quarter"] == "2026Q2"
    assert lanzhou["share_pct"] == round(100 * lanzhou["value"] / lanzhou["parent_value"], 2)
    assert lanzhou["yoy_pct"] == round(
        100 * (lanzhou["value"] - lanzhou["year_ago_value"]) / lanzhou["year_ago_value"], 2
    )


def test_completeness_json_lists_each_childs_status(demo, login):
    body = login("leader_gansu").get(data_url("620000", "completeness", "json")).json()
    last = {r["child_code"]: r["status"] for r in body["rows"] if r["quarter"] == "2026Q3"}
    assert last["623000"] == "missing" and last["621200"] == "returned"
    assert last["621100"] == "draft" and last["620500"] == "submitted"
    assert last["620100"] == "approved"


def test_targets_json_of_overview_and_plan_agree_with_the_selectors(demo, login):
    client = login("leader_gansu")
    body = client.get("/overview/targets.json").json()
    as_of = Quarter.parse(body["meta"]["as_of"])
    user = client.get("/").wsgi_request.user
    cards = overview_plan_cards(user=user, as_of=as_of, include=Inclusion.SUBMITTED)
    expected = [
        (r.target.due, r.target.value, r.progress.value, r.progress.status.value)
        for c in cards for r in c.rows
    ]  # fmt: skip
    got = [(Quarter.parse(r["due"]), r["target"], r["value"], r["status"]) for r in body["rows"]]
    assert got == expected
    plan = gansu_plan()
    plan_body = client.get(f"/plans/{plan.pk}/targets.json").json()
    page = plan_page(plan=plan, user=user, as_of=as_of)
    assert [r["status"] for r in plan_body["rows"]] == [r.progress.status.value for r in page.rows]
    own = [r for r in plan_body["rows"] if r["allocated_from"] is None]  # not the allocations
    assert [r["status"] for r in own] == [
        "achieved",
        "achieved",
        "achieved",
        "missed",
    ]


def test_trends_csv_runs_to_each_due_quarter(demo, login):
    text = login("leader_gansu").get("/overview/trends.csv").content.decode("utf-8")[1:]
    rows = list(csv.DictReader(io.StringIO(text)))
    demo_rows = [
        r for r in rows if r["target_due"] == "2027Q4" and r["indicator"] == "certificates"
    ]
    assert demo_rows[-1]["quarter"] == "2027Q4" and demo_rows[-1]["value"] == ""
    assert demo_rows[-1]["forecast"] != "" and demo_rows[-1]["milestone"] == "14200.0"


def test_as_of_and_values_are_read_from_the_query(demo, login):
    body = login("leader_gansu").get(data_url("620000", "targets", "json", as_of="2021Q4",
                                              values="approved")).json()  # fmt: skip
    assert body["meta"]["as_of"] == "2021Q4" and body["meta"]["values"] == "approved"
    by_due = {(r["indicator"], r["due"]): r for r in body["rows"]}
    assert by_due[("certificates", "2022Q4")]["quarters_left"] == 4
    assert body["meta"]["as_of"] == "2021Q4"
    # A future quarter is not accepted: the last complete one stands.
    future = login("leader_gansu").get(data_url("620000", "targets", "json", as_of="2999Q4"))
    assert future.json()["meta"]["as_of"] == str(Quarter.last_complete())


# --- query counts -----------------------------------------------------------------------


def build_tree(children, certs, orgs, django_user_model):
    root = make_region("970000", reporting=False)
    plan = make_plan(root)
    make_target(plan, root, certs, "2020Q4", 100)
    make_target(plan, root, orgs, "2030Q4", 100)
    with rollups_deferred():  # refreshed once at the end, as an import does
        for i in range(children):
            city = make_region(f"97{i + 1:02d}00", parent=root)
            for q in range(children):  # as many quarters as children
                make_count(city, certs, Quarter(2018, 1) + q, 10 + q)
                make_count(city, orgs, Quarter(2018, 1) + q, 5 + q, status=S.SUBMITTED)
    make_user(django_user_model, "boss", (Membership.Role.LEADER, root))
    return root, plan


# One bound for both sizes: what the 3-child tree needs, and the 30-child tree with ten times
# the quarters must not need more. Dashboard: session, user, region, access, indicators, targets,
# subtree, counts, statuses, and base.html's demo flag, root regions and unread count; pages also read the
# data version once (indicators.pagecache; these bounds are for an empty cache). A target whose
# due quarter has passed without a value costs one query more, for all targets together: does any
# count (of any status) exist for that quarter? (issue 22.1: then it is pending.)
@pytest.mark.parametrize("children", [3, 30])
@pytest.mark.parametrize(
    "path, bound",
    [
        ("/regions/970000/", 14),  # 11 + the data version + the unread count (header) + counts
        ("/regions/970000/series.json", 10),
        ("/regions/970000/completeness.csv", 10),
        ("/", 13),  # + the unread notifications of the header
    ],
)
def test_dashboard_queries_do_not_grow_with_regions_or_quarters(
    db, client, certs, orgs, django_user_model, django_assert_max_num_queries, children, path, bound
):
    build_tree(children, certs, orgs, django_user_model)
    client.login(username="boss", password=PASSWORD)
    with django_assert_max_num_queries(bound):
        response = client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("children", [3, 30])
def test_plan_page_queries_do_not_grow_with_regions_or_quarters(
    db, client, certs, orgs, django_user_model, django_assert_max_num_queries, children
):
    _root, plan = build_tree(children, certs, orgs, django_user_model)
    client.login(username="boss", password=PASSWORD)
    # + the header's unread count, + the due counts, + the user's units (the task board link)
    with django_assert_max_num_queries(14):
        response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200


def test_overview_pages_plan_cards_ten_at_a_time(demo, client, django_user_model):
    """At national scale a scope holds hundreds of plans: the overview shows a page of them."""
    import datetime as dt

    from indicators.models import Plan
    from regions.models import Region

    gansu = Region.objects.get(code="620000")
    for i in range(12):
        Plan.objects.create(
            title_zh=f"分页测试方案{i:02d}",
            issuer_zh="测试",
            issued_on=dt.date(2019, 1, 1),
            region=gansu,
        )
    client.force_login(django_user_model.objects.get(username="leader_gansu"))
    # leader_gansu sees the Gansu plan, the demo successor plan and these 12: 14 plans
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert first.count('class="plan-card') == 10 and second.count('class="plan-card') == 4
    assert "甘政办发〔2018〕145号" in first and "分页测试方案11" in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert "北政办〔2018〕200号" not in first + second
    # The page links keep the page's other choices (values shown, quarter).
    chosen = client.get("/?values=approved&as_of=2024Q4&page=2").content.decode()
    assert 'href="?values=approved&amp;as_of=2024Q4&amp;page=1" rel="prev"' in chosen


def test_overview_data_follows_the_overview_page(demo, client, django_user_model):
    """Page 2's data links give page 2's plans (meta says which page); without ``page`` the
    data covers every plan; a page that does not exist is a 400."""
    import datetime as dt

    from django.core.paginator import Paginator

    from indicators.models import Indicator, Target
    from indicators.selectors.plans import plans_visible_to

    gansu = Region.objects.get(code="620000")
    certs = Indicator.objects.get(code="certificates")
    for i in range(12):
        plan = Plan.objects.create(
            title_zh=f"分页测试方案{i:02d}", issuer_zh="测试", issued_on=dt.date(2019, 1, 1),
            region=gansu,
        )  # fmt: skip
        Target.objects.create(
            plan=plan, region=gansu, indicator=certs, due_year=2020, due_quarter=4, value=i + 1
        )
    leader = django_user_model.objects.get(username="leader_gansu")
    client.force_login(leader)
    second = client.get("/?page=2").content.decode()
    assert "/overview/targets.json?page=2" in second
    paged = client.get("/overview/targets.json?page=2").json()
    everything = client.get("/overview/targets.json").json()
    assert paged["meta"]["page"] == 2 and paged["meta"]["pages"] == 2
    assert "page" not in everything["meta"]
    titles = {row["plan_id"] for row in paged["rows"]}
    all_plans = {row["plan_id"] for row in everything["rows"]}
    assert titles and titles < all_plans
    page_two = Paginator(plans_visible_to(leader), 10).page(2).object_list
    assert titles == {p.pk for p in page_two if p.targets.exists()}
    assert client.get("/overview/trends.csv?page=2").status_code == 200
    for bad in ("3", "0", "x"):
        response = client.get(f"/overview/targets.json?page={bad}")
        assert response.status_code == 400, bad
        assert "（共 1 至 2 页）" in response.content.decode()  # Chinese first
    english = client.get("/overview/targets.json?page=3", HTTP_ACCEPT_LANGUAGE="en")
    assert "pages 1 to 2" in english.content.decode()


@pytest.mark.parametrize("children", [3, 30])
def test_pages_with_a_pending_target_keep_flat_query_counts(
    db, client, certs, django_user_model, django_assert_max_num_queries, children
):
    """A 2020Q4 target whose due quarter lacks the last division's approved value (awaiting
    review): pending on every page of the approved view. Finding what is missing is three
    queries for all the targets of a page (the due quarter's counts of any status, the
    divisions, their values), whatever the tree."""
    from tests.selectors.test_dashboards import _pending_tree

    root, plan, _target = _pending_tree(children, certs)
    make_user(django_user_model, "boss", (Membership.Role.LEADER, root))
    client.login(username="boss", password=PASSWORD)
    for path, bound in (("/regions/970000/", 16), ("/", 15), (f"/plans/{plan.pk}/", 15),
                        ("/regions/970000/targets.json", 12)):  # fmt: skip
        with django_assert_max_num_queries(bound):
            response = client.get(path, {"values": "approved", "as_of": "2021Q1"})
        assert response.status_code == 200
        text = response.content.decode()
        assert "pending" in text or "待定" in text, path


def test_series_table_lists_past_quarters_first_and_only_future_quarters_with_a_target(demo, login):
    import re

    page = login("leader_gansu").get("/regions/620000/").content.decode()
    table = page[page.index('class="data series') :].split("</table>")[0]
    rows = re.findall(r"<tr([^>]*)>\s*<td[^>]*>(\d{4}Q\d)</td>", table)
    periods = [Quarter.parse(q) for _attrs, q in rows]
    future = [Quarter.parse(q) for attrs, q in rows if "future" in attrs]
    past = [q for q in periods if q not in future]
    as_of = Quarter.last_complete()
    assert past and past[0] <= as_of and past == sorted(past, reverse=True)  # newest first
    assert periods[: len(past)] == past  # every past quarter before any future one
    # A quarter still ahead is listed only where a target is due (the demo's successor plan).
    assert future and all(q > as_of for q in future)
    for q in future:
        assert "≥ " in table.split(f">{q}</td>")[1].split("</tr>")[0]
    assert len(future) < 4


def test_plan_note_shows_in_the_readers_language_only(demo, login):
    client = login("leader_gansu")
    url = f"/plans/{gansu_plan().pk}/"
    page = client.get(url).content.decode()
    assert "2023年由甘政发〔2023〕60号宣布全文失效。" in page and "Invalidated in full" not in page
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert "Invalidated in full in 2023" in page and "宣布全文失效" not in page
