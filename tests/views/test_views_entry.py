"""Entry and review pages: permissions (every refusal), the workflow over HTTP, stale forms."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.services.counts import counts_save, counts_submit
from regions.models import Membership
from tests.conftest import PASSWORD, make_count, make_region, make_user

Role = Membership.Role
S = QuarterlyCount.Status
P = Quarter(2024, 2)
ENTRY = reverse("indicators:entry")
QUEUE = reverse("indicators:review_queue")
NEW = {"certificates": None, "organizations": None}


def review_url(region, period=P):
    return reverse("indicators:review", args=[region.code, str(period)])


@pytest.fixture
def people(tree, certs, orgs, django_user_model):
    return dict(
        official=make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"])),
        official_b=make_user(django_user_model, "off_b", (Role.OFFICIAL, tree["a"])),
        reviewer=make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"])),
        leader=make_user(django_user_model, "lead", (Role.LEADER, tree["province"])),
        analyst=make_user(django_user_model, "ana", (Role.ANALYST, tree["province"])),
        other_reviewer=make_user(django_user_model, "rev2", (Role.REVIEWER, tree["other"])),
    )


@pytest.fixture
def as_user(client, people):
    """Sign in as one of ``people``; pages in English so messages can be asserted."""

    def _as(name):
        client.logout()
        assert client.login(username=people[name].username, password=PASSWORD)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _as


def table():
    return sorted(
        QuarterlyCount.objects.values_list(
            "region__code", "indicator__code", "value", "status", "version"
        )
    )


def post_entry(client, region, *, certs="", orgs="", action="save", versions=None, **extra):
    versions = versions or {}
    data = {
        "region": region.code,
        "period": str(P),
        "value_certificates": certs,
        "value_organizations": orgs,
        "version_certificates": versions.get("certificates") or "",
        "version_organizations": versions.get("organizations") or "",
        "action": action,
        **extra,
    }
    return client.post(ENTRY, data)


def submitted(people, tree, certs=100, orgs=40):
    counts_save(
        user=people["official"],
        region=tree["a"],
        period=P,
        values={"certificates": certs, "organizations": orgs},
        expected_versions=NEW,
        submit=True,
    )


# --- anonymous and nav -------------------------------------------------------------------


@pytest.mark.parametrize("url", [ENTRY, QUEUE, "/review/990100/2024Q2/"])
def test_anonymous_is_sent_to_login(client, tree, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(url, {}).status_code == 302


@pytest.mark.parametrize(
    ("who", "entry", "review"),
    [
        ("official", True, False),
        ("reviewer", False, True),
        ("leader", False, False),
        ("analyst", False, False),
    ],
)
def test_nav_links_follow_the_role(as_user, who, entry, review):
    page = as_user(who).get("/").content.decode()
    assert (f'href="{ENTRY}"' in page) is entry
    assert (f'href="{QUEUE}"' in page) is review


# --- entry page --------------------------------------------------------------------------


def test_entry_page_offers_only_the_officials_regions_and_no_future_quarter(as_user, tree):
    page = as_user("official").get(ENTRY).content.decode()
    options = re.findall(r'<option value="(\d{6})"', page)
    assert options == ["990100", "990171"]  # A and its zone; never B, C or the other province
    quarters = re.findall(r'<option value="(\d{4}Q\d)"', page)
    # Exactly the quarters that may be entered: up to the one whose last day has come (the
    # current quarter only on its last day), back to CERTTRACK_FIRST_QUARTER (2015Q1).
    today = timezone.localdate()
    newest = (
        Quarter.of_date(today)
        if today == Quarter.of_date(today).end_date
        else Quarter.last_complete()
    )
    assert quarters[0] == str(newest) and quarters[-1] == "2015Q1"
    assert len(quarters) == len(set(quarters)) == newest - Quarter(2015, 1) + 1
    assert f'<option value="{Quarter.last_complete()}" selected>' in page


def test_entry_page_shows_neighbours_and_change(as_user, tree, certs):
    make_count(tree["a"], certs, P - 1, 1000)
    make_count(tree["a"], certs, P - 4, 900)
    make_count(tree["a"], certs, P, 1100, status=S.DRAFT)
    page = as_user("official").get(ENTRY, {"region": "990100", "period": str(P)})
    text = page.content.decode()
    assert "1,000" in text and "900" in text
    assert "+100" in text and "+10.0%" in text
    assert 'name="version_certificates" value="1"' in text


def test_official_saves_a_draft_then_submits(as_user, tree):
    client = as_user("official")
    response = post_entry(client, tree["a"], certs="1,200", orgs="500")
    assert response.status_code == 302
    assert table() == [
        ("990100", "certificates", 1200, "draft", 1),
        ("990100", "organizations", 500, "draft", 1),
    ]
    response = post_entry(
        client,
        tree["a"],
        certs="1200",
        orgs="500",
        action="submit",
        versions={"certificates": 1, "organizations": 1},
    )
    assert response.status_code == 302
    assert {row[3] for row in table()} == {"submitted"}
    page = client.get(response["Location"]).content.decode()
    assert "submitted for review" in page
    assert 'name="value_certificates"' in page and "disabled" in page
    assert 'value="submit"' not in page  # no submit button while awaiting review


def test_bad_number_is_refused_with_an_accessible_error_and_nothing_saved(as_user, tree):
    response = post_entry(as_user("official"), tree["a"], certs="12.5", orgs="-3")
    assert response.status_code == 400
    page = response.content.decode()
    assert "“12.5” is not a whole number." in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_value_certificates_helptext id_value_certificates_error"' in page
    assert 'id="id_value_certificates_error"' in page
    assert 'value="12.5"' in page  # the user's input is kept
    assert table() == []


def test_submit_needs_both_values(as_user, tree):
    response = post_entry(as_user("official"), tree["a"], certs="10", action="submit")
    assert response.status_code == 400
    assert "Enter this value before submitting." in response.content.decode()
    assert table() == []


def test_organizations_above_certificates_is_refused(as_user, tree):
    response = post_entry(as_user("official"), tree["a"], certs="10", orgs="11")
    assert response.status_code == 400
    assert "cannot exceed valid certificates" in response.content.decode()
    assert table() == []


def test_large_change_needs_an_explanation_and_keeps_the_input(as_user, tree, certs, orgs):
    make_count(tree["a"], certs, P - 1, 100)
    make_count(tree["a"], orgs, P - 1, 50)
    client = as_user("official")
    response = post_entry(client, tree["a"], certs="150", orgs="50", action="submit")
    assert response.status_code == 400
    page = response.content.decode()
    assert "changes by +50.0% against last quarter" in page
    assert 'id="id_explanation_error"' in page
    assert 'value="150"' in page
    assert len(table()) == 2  # only last quarter's counts: nothing saved
    response = post_entry(
        client,
        tree["a"],
        certs="150",
        orgs="50",
        action="submit",
        explanation="A new industrial park opened.",
    )
    assert response.status_code == 302
    count = QuarterlyCount.objects.get(region=tree["a"], year=2024, quarter=2, indicator=certs)
    assert count.status == S.SUBMITTED and count.note == "A new industrial park opened."


def test_large_change_in_a_draft_shows_the_warning(as_user, tree, certs, orgs):
    make_count(tree["a"], certs, P - 1, 100)
    client = as_user("official")
    response = post_entry(client, tree["a"], certs="200", orgs="50")
    assert response.status_code == 302  # a draft may be saved
    page = client.get(response["Location"]).content.decode()
    assert 'id="change-warnings"' in page and "+100.0%" in page


def test_forged_region_in_a_post_is_403_and_changes_nothing(as_user, tree):
    response = post_entry(as_user("official"), tree["b"], certs="10", orgs="5")
    assert response.status_code == 403
    response = post_entry(as_user("official"), tree["other_city"], certs="10", orgs="5")
    assert response.status_code == 403
    assert table() == []


def test_forged_region_in_a_get_is_403(as_user, tree):
    assert as_user("official").get(ENTRY, {"region": "990200"}).status_code == 403


def test_forged_future_quarter_is_refused(as_user, tree):
    future = Quarter.last_complete() + 2
    client = as_user("official")
    data = {"region": "990100", "period": str(future), "value_certificates": "1"}
    data |= {"value_organizations": "1", "action": "save"}
    response = client.post(ENTRY, data)
    assert response.status_code == 400
    assert "has not begun yet" in response.content.decode()
    assert table() == []
    page = client.get(ENTRY, {"region": "990100", "period": str(future)}).content.decode()
    assert "has not begun yet" in page and 'name="value_certificates"' not in page


@pytest.mark.parametrize("who", ["leader", "analyst", "reviewer"])
def test_non_officials_cannot_open_or_post_the_entry_page(as_user, tree, who):
    client = as_user(who)
    assert client.get(ENTRY).status_code == 403
    assert post_entry(client, tree["a"], certs="10", orgs="5").status_code == 403
    assert table() == []


def test_stale_form_is_refused_with_who_changed_what_and_keeps_input(as_user, tree, people):
    client = as_user("official")
    post_entry(client, tree["a"], certs="100", orgs="40")  # version 1 of both
    counts_save(  # a colleague changes certificates meanwhile
        user=people["official_b"],
        region=tree["a"],
        period=P,
        values={"certificates": 111},
        expected_versions={"certificates": 1},
    )
    before = table()
    response = post_entry(
        client,
        tree["a"],
        certs="120",
        orgs="45",
        versions={"certificates": 1, "organizations": 1},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "was changed by off_b: it is now 111" in page
    assert "Your changes were not saved" in page
    assert 'value="120"' in page and 'value="45"' in page
    assert table() == before
    # The form now carries the current versions: saving again is a deliberate choice.
    assert 'name="version_certificates" value="2"' in page


def test_approved_quarter_is_locked_on_the_entry_page(as_user, tree, certs, orgs):
    make_count(tree["a"], certs, P, 100)
    make_count(tree["a"], orgs, P, 40)
    page = as_user("official").get(ENTRY, {"region": "990100", "period": str(P)})
    text = page.content.decode()
    assert re.search(r'name="value_certificates"[^>]*disabled', text)
    assert 'value="save"' not in text and 'value="submit"' not in text
    assert "approved and locked" in text


def test_returned_quarter_shows_the_reviewers_comment_and_history(as_user, tree, people):
    submitted(people, tree)
    as_user("reviewer").post(
        review_url(tree["a"]),
        # Created and submitted by one save: version 1 (one version per save, issue 22.9).
        {"action": "return", "comment": "Check B's figure", "version_certificates": 1}
        | {"version_organizations": 1},
    )
    page = as_user("official").get(ENTRY, {"region": "990100", "period": str(P)})
    text = page.content.decode()
    assert "Returned by the reviewer" in text and "Check B&#x27;s figure" in text
    history = text.split('id="history-title"')[1]
    assert history.count("<tr>") == 7  # header + 2 created + 2 submitted + 2 returned
    assert 'value="submit"' in text  # editable again


# --- review queue ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["official", "leader", "analyst"])
def test_queue_is_for_reviewers_only(as_user, who):
    assert as_user(who).get(QUEUE).status_code == 403


def test_queue_lists_units_with_status_filters_and_rates(as_user, tree, people):
    submitted(people, tree)
    client = as_user("reviewer")
    page = client.get(QUEUE, {"period": str(P)}).content.decode()
    for code in ("990100", "990171", "990200", "990300"):
        assert code in page
    assert "880100" not in page  # another province
    assert "990201" not in page  # not a reporting unit
    assert "25.0%" in page  # 1 of 4 units submitted
    assert review_url(tree["a"]) in page
    filtered = client.get(QUEUE, {"period": str(P), "status": "not_started"}).content.decode()
    assert "990200" in filtered and "990100" not in filtered
    filtered = client.get(QUEUE, {"period": str(P), "region": "A新"}).content.decode()
    assert "990171" in filtered and "990300" not in filtered
    ordered = client.get(QUEUE, {"period": str(P), "sort": "status"}).content.decode()
    assert ordered.index("990100") < ordered.index("990200")  # submitted before not_started
    assert page.index("990100") < page.index("990200")  # and so by default
    assert client.get(QUEUE, {"period": "nonsense"}).status_code == 400


def test_queue_shows_the_last_day_a_submission_is_on_time(as_user, settings):
    # 2026Q3 ends 2026-09-30; 20 days later, inclusive, is 2026-10-20 (a submission on 10-21
    # is late): the page names 10-20, never 10-21.
    settings.CERTTRACK = {**settings.CERTTRACK, "DEADLINE_DAYS": 20}
    page = as_user("reviewer").get(QUEUE, {"period": "2026Q3"}).content.decode()
    deadline = page.split("Deadline")[1] if "Deadline" in page else page.split("截止")[1]
    assert "2026-10-20" in deadline[:400] and "2026-10-21" not in page


def test_queue_query_count_does_not_grow_with_units(
    as_user, tree, people, django_assert_max_num_queries
):
    from django.core.cache import cache

    client = as_user("reviewer")
    client.get(QUEUE)  # warm the session
    cache.clear()  # both measured requests start from an empty cache (indicators.pagecache)
    # 19: the page, plus the header's waiting badge and unread count (work.context_processors)
    # and the separation-of-duties lookup of who entered what (issue 12.8); the reporting rate
    # and the badge read the reporting obligations (issue 22.2: units, then their counts grouped,
    # each beside the number of indicators): two more than the single annotated query before.
    with django_assert_max_num_queries(19) as few:
        client.get(QUEUE, {"period": str(P)})
    for i in range(30):
        make_region(f"9905{i:02d}", parent=tree["province"])
    cache.clear()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(QUEUE, {"period": str(P)})
    assert "990529" in response.content.decode()


def test_queue_action_says_what_it_does_and_statuses_are_explained(as_user, tree, people):
    submitted(people, tree)
    page = as_user("reviewer").get(QUEUE, {"period": str(P)}).content.decode()
    rows = {code: page[page.index(code) :].split("</tr>")[0] for code in ("990100", "990200")}
    assert f'href="{review_url(tree["a"])}">Review</a>' in rows["990100"]  # waits: review it
    assert f'href="{review_url(tree["b"])}">View</a>' in rows["990200"]  # nothing to decide
    assert ">Open<" not in page
    legend = page[page.index('class="status-legend') :].split("</dl>")[0]
    for status in ("Submitted", "Returned", "Draft", "Not reported", "Approved"):
        assert status in legend
    assert "waiting for review" in legend


def test_after_a_decision_the_page_leads_on_to_the_next_waiting_unit(
    as_user, tree, people, certs, orgs
):
    submitted(people, tree)
    for indicator in (certs, orgs):
        make_count(tree["c"], indicator, P, 5, status=QuarterlyCount.Status.SUBMITTED)
    client = as_user("reviewer")
    response = client.post(review_url(tree["a"]), {"action": "approve"} | versions_now(tree["a"]))
    page = client.get(response["Location"]).content.decode()
    assert f'href="{review_url(tree["c"])}"' in page and "Next waiting: C" in page
    response = client.post(review_url(tree["c"]), {"action": "approve"} | versions_now(tree["c"]))
    page = client.get(response["Location"]).content.decode()
    assert "Next waiting" not in page and "Nothing else waits for review" in page


# --- review page -------------------------------------------------------------------------


def versions_now(region):
    rows = QuarterlyCount.objects.filter(region=region, year=P.year, quarter=P.quarter)
    return {f"version_{c.indicator.code}": c.version for c in rows}


def test_reviewer_returns_then_approves_and_value_is_locked(as_user, tree, people):
    submitted(people, tree)
    client = as_user("reviewer")
    page = client.get(review_url(tree["a"])).content.decode()
    assert "100" in page and 'value="approve"' in page
    response = client.post(
        review_url(tree["a"]), {"action": "return", "comment": ""} | versions_now(tree["a"])
    )
    assert response.status_code == 400
    assert "Say why the counts are returned." in response.content.decode()
    assert {r[3] for r in table()} == {"submitted"}
    client.post(
        review_url(tree["a"]), {"action": "return", "comment": "Too low"} | versions_now(tree["a"])
    )
    assert {r[3] for r in table()} == {"returned"}
    counts_submit(user=people["official"], region=tree["a"], period=P)
    response = client.post(review_url(tree["a"]), {"action": "approve"} | versions_now(tree["a"]))
    assert response.status_code == 302
    assert {r[3] for r in table()} == {"approved"}
    page = client.get(response["Location"]).content.decode()
    assert "Locked" in page and 'value="reopen"' in page and 'value="approve"' not in page


def test_reviewer_never_approves_what_changed_after_they_looked(as_user, tree, people):
    counts_save(
        user=people["official"],
        region=tree["a"],
        period=P,
        values={"certificates": 100, "organizations": 40},
        expected_versions=NEW,
    )
    counts_submit(user=people["official"], region=tree["a"], period=P)
    client = as_user("reviewer")
    seen = versions_now(tree["a"])
    # Returned and resubmitted with another value while the reviewer's page was open.
    client.post(review_url(tree["a"]), {"action": "return", "comment": "x"} | seen)
    counts_save(
        user=people["official"],
        region=tree["a"],
        period=P,
        values={"certificates": 90},
        expected_versions={"certificates": seen["version_certificates"] + 1},
        submit=True,
    )
    before = table()
    response = client.post(review_url(tree["a"]), {"action": "approve"} | seen)
    assert response.status_code == 409
    assert "was changed by" in response.content.decode()
    assert table() == before


def test_reopen_needs_a_reason(as_user, tree, certs, orgs):
    make_count(tree["a"], certs, P, 100)
    make_count(tree["a"], orgs, P, 40)
    client = as_user("reviewer")
    response = client.post(review_url(tree["a"]), {"action": "reopen"} | versions_now(tree["a"]))
    assert "Give the reason for reopening" in response.content.decode()
    assert {r[3] for r in table()} == {"approved"}
    client.post(
        review_url(tree["a"]),
        {"action": "reopen", "comment": "Census correction"} | versions_now(tree["a"]),
    )
    assert {r[3] for r in table()} == {"returned"}
    assert CountEvent.objects.filter(action="reopen", comment="Census correction").count() == 2


@pytest.mark.parametrize("who", ["official", "leader", "analyst", "other_reviewer"])
def test_only_reviewers_of_the_subtree_review(as_user, tree, people, who):
    submitted(people, tree)
    client = as_user(who)
    assert client.get(review_url(tree["a"])).status_code == 403
    before = table()
    response = client.post(review_url(tree["a"]), {"action": "approve"} | versions_now(tree["a"]))
    assert response.status_code == 403
    assert table() == before


def test_reviewer_of_one_province_cannot_review_another(as_user, tree, people, certs):
    make_count(tree["other_city"], certs, P, 5, status=S.SUBMITTED)
    client = as_user("reviewer")
    response = client.post(review_url(tree["other_city"]), {"action": "approve"})
    assert response.status_code == 403
    assert QuarterlyCount.objects.get(region=tree["other_city"]).status == S.SUBMITTED


def test_review_page_unknown_region_or_period_is_404(as_user, tree):
    client = as_user("reviewer")
    assert client.get("/review/123456/2024Q2/").status_code == 404
    assert client.get("/review/990100/2024Q9/").status_code == 404


# --- admin -------------------------------------------------------------------------------


def test_admin_shows_the_history_inline_read_only(client, tree, people, django_user_model):
    submitted(people, tree)
    make_user(django_user_model, "root", superuser=True)
    client.login(username="root", password=PASSWORD)
    count = QuarterlyCount.objects.get(region=tree["a"], indicator__code="certificates")
    page = client.get(f"/admin/indicators/quarterlycount/{count.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "countevent" in text.lower() and text.count("off") >= 2
    assert 'name="events-0-comment"' not in text  # read-only: no inputs


HOSTILE = ["1,5", "²", "①", "٣", "+5", "--5", "1e3", "1.5", "9" * 5000, "1" + ",000" * 3000]
HOSTILE += ["<b>1</b>", "NaN", "Infinity", "1_000", "１，０００，０"]
# A NUL cannot be typed: certtrack.security.RejectNulMiddleware answers any parameter holding one
# with the 400 page naming it (tests/deploy/test_hostile_params.py), before a form sees it.


@pytest.mark.parametrize("raw", HOSTILE)
def test_no_text_in_the_form_is_a_server_error_and_the_input_is_kept(as_user, tree, raw):
    response = post_entry(as_user("official"), tree["a"], certs=raw, orgs="5")
    assert response.status_code == 400
    page = response.content.decode()
    assert "not a whole number" in page or "Null characters are not allowed" in page
    if raw.isprintable() and len(raw) < 30:
        assert 'value="5"' in page  # the other field keeps its input too
        assert "“" in page
    assert table() == []


def test_the_refusal_names_the_field(as_user, tree):
    response = post_entry(as_user("official"), tree["a"], certs="1,5", orgs="3")
    assert "Certificates: “1,5” is not a whole number." in response.content.decode()
    assert table() == []


def test_full_width_digits_and_separators_are_saved_as_numbers(as_user, tree):
    response = post_entry(as_user("official"), tree["a"], certs="１，２００", orgs="1,000")
    assert response.status_code == 302
    assert [row[2] for row in table()] == [1200, 1000]


def test_a_forged_huge_version_is_a_form_error_not_a_server_error(as_user, tree):
    response = post_entry(
        as_user("official"), tree["a"], certs="5", orgs="5", versions={"certificates": 10**30}
    )
    assert response.status_code == 400
    assert table() == []


@pytest.mark.parametrize(
    "field", ["region", "note", "explanation", "action", "value_organizations"]
)
def test_a_nul_or_overlong_text_in_any_field_is_no_server_error(as_user, tree, field):
    data = {
        "region": tree["a"].code,
        "period": str(P),
        "value_certificates": "5",
        "value_organizations": "3",
        "action": "save",
        field: "1\x00",
    }
    client = as_user("official")
    nul = client.post(ENTRY, data)
    assert nul.status_code == 400 and "NUL" in nul.content.decode()
    assert client.post(ENTRY, {**data, field: "9" * 5000}).status_code in (302, 400, 404)
    assert not QuarterlyCount.objects.filter(value__gt=10**6).exists()


def test_the_queue_pages_count_the_units_with_and_without_filters(as_user, tree, certs, orgs):
    """The province's 4 units and 56 more prefectures (区1 … 区56), 2 of them submitted: 60
    rows, 50 a page; filtered by the text 区 57 (区1 … 区56 and A新区: two pages), by 区5 eight
    (区5, 区50 … 区56: one page), by status 2. The numbers of rows and pages are those of the rows themselves."""
    for k in range(1, 57):
        region = make_region(f"98{k:02d}00", f"区{k}", parent=tree["province"])
        if k <= 2:
            make_count(region, certs, P, 1, status=S.SUBMITTED)
            make_count(region, orgs, P, 1, status=S.SUBMITTED)
    client = as_user("reviewer")

    def rows(**query):
        page = client.get(QUEUE, {"period": str(P), **query}).content.decode()
        return len(re.findall(r'<tr class="(?:odd|even)', page)), page

    assert rows()[0] == 50
    n, page = rows(page=2)
    assert n == 10 and "page=3" not in page
    assert rows(region="区")[0] == 50 and rows(region="区", page=2)[0] == 7
    n, page = rows(region="区5")
    assert n == 8 and "page=2" not in page
    assert rows(status="submitted")[0] == 2
