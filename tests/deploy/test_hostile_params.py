"""Whatever a 400 echoes is escaped, and no quarter in any parameter is a 500 (issue 12.4).

Every page, data endpoint and download is asked with hostile values of each of its parameters:
markup, quarters out of range (1900Q1, before CERTTRACK_FIRST_QUARTER), garbage. The answer is a
4xx, never a 500; an HTML answer is the styled 400 page (or the page's own form) with the value
escaped; a data endpoint (.json, .csv) answers JSON naming the parameter.
"""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from indicators.models import Plan

XSS = '<svg onload=alert(1)>"x'
BAD_QUARTERS = ["1900Q1", "1900Q4", "2014Q4", "0000Q1", "2020Q5", "2020Q0", "99999Q1", XSS, "Q"]


@pytest.fixture
def login(client, settings):
    def _login(username):
        client.logout()
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _login


def gansu_plan_id():
    return Plan.objects.get(document_number="甘政办发〔2018〕145号").pk


def check(response, url, value):
    """A 4xx that echoes ``value`` only escaped; JSON at data endpoints; never a bare string."""
    assert 400 <= response.status_code < 500, (url, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    path = url.split("?")[0]
    if path.endswith((".json", ".csv")):
        # JSON carries the value as data; a browser never sniffs it into a page.
        assert response["Content-Type"].startswith("application/json"), url
        assert response["X-Content-Type-Options"] == "nosniff"
        return response.json()
    assert "<svg" not in text, url  # the markup is never echoed as markup
    assert response["Content-Type"].startswith("text/html"), url
    assert "<html" in text and "</html>" in text, f"{url}: a bare string, not a page"
    if response.status_code == 400 and value in text:  # echoed only when harmless
        assert "<" not in value, url
    return text


def urls_with(value, plan_id):
    """(user, url) for every quarter parameter of every page."""
    leader = [
        f"/?as_of={value}",
        f"/regions/620000/?as_of={value}",
        f"/plans/{plan_id}/?as_of={value}",
        f"/overview/targets.json?as_of={value}",
        f"/overview/trends.csv?as_of={value}",
        f"/regions/620000/series.json?as_of={value}",
        f"/regions/620100/children.csv?as_of={value}",
        f"/plans/{plan_id}/targets.json?as_of={value}",
        f"/plans/{plan_id}/trends.csv?as_of={value}",
    ]
    analyst = [
        f"/reports/export.xlsx?region=620000&start={value}&end=2020Q4",
        f"/reports/export.xlsx?region=620000&start=2020Q1&end={value}",
    ]
    reviewer = [f"/review/?period={value}", f"/review/620100/{value}/"]
    official = [f"/entry/?region=620100&period={value}", f"/import/template.xlsx?period={value}"]
    return (
        [("leader_gansu", u) for u in leader]
        + [("analyst", u) for u in analyst]
        + [("reviewer_gansu", u) for u in reviewer]
        + [("official_lanzhou", u) for u in official]
    )


def test_every_quarter_parameter_refuses_hostile_quarters_without_a_500(demo, login):
    plan_id = gansu_plan_id()
    failures = []
    for value in BAD_QUARTERS:
        for user, url in urls_with(value, plan_id):
            client = login(user)
            try:
                check(client.get(url), url, value)
            except AssertionError as exc:
                failures.append(f"{url}: {exc}")
    assert failures == []


def test_a_1900q1_quarter_is_a_400_naming_the_first_quarter(demo, login):
    client = login("leader_gansu")
    response = client.get("/regions/620000/?as_of=1900Q1")
    assert response.status_code == 400
    text = response.content.decode()
    assert "2015Q1" in text and "as_of" in text and "error-page" in text
    data = client.get("/regions/620000/targets.json?as_of=1900Q1")
    assert data.status_code == 400
    assert data.json()["parameter"] == "as_of" and data.json()["value"] == "1900Q1"
    assert "2015Q1" in data.json()["message"]


@pytest.mark.parametrize(
    "payload",
    [
        "<svg onload=alert(1)>",
        '"><script>alert(1)</script>',
        "<img src=x onerror=alert(document.cookie)>",
        "javascript:alert(1)",
        "&lt;svg&gt;",
        "1 OR 1=1",
        "%00",
    ],
)
def test_page_and_period_parameters_echo_only_escaped(demo, login, payload):
    leader = login("leader_gansu")
    response = leader.get("/overview/targets.json", {"page": payload})
    body = check(response, "/overview/targets.json", payload)
    assert body["parameter"] == "page" and body["value"] == payload[:40]
    csv = leader.get("/overview/trends.csv", {"page": payload})
    assert check(csv, "/overview/trends.csv", payload)["parameter"] == "page"
    official = login("official_lanzhou")
    response = official.get(reverse("indicators:import_template"), {"period": payload})
    text = check(response, "/import/template.xlsx", payload)
    assert html.escape(payload[:20]).replace("&#x27;", "'") in text.replace("&#x27;", "'")
    entry = login("official_lanzhou").get("/entry/", {"region": "620100", "period": payload})
    check(entry, "/entry/", payload)
    queue = login("reviewer_gansu").get("/review/", {"period": payload})
    check(queue, "/review/", payload)


def test_task_board_data_names_a_bad_period_in_json(demo, login):
    client = login("leader_gansu")
    plan_id = gansu_plan_id()
    for fmt in ("json", "csv"):
        response = client.get(f"/plans/{plan_id}/tasks.{fmt}", {"period": XSS})
        body = check(response, f"/plans/{plan_id}/tasks.{fmt}", XSS)
        assert body["parameter"] == "period"
    for period in ("1900H1", "0000H2"):
        response = client.get(f"/plans/{plan_id}/tasks.json", {"period": period})
        assert response.status_code in (200, 400), period


def test_a_bad_as_of_that_is_garbage_is_a_400_not_silently_ignored(demo, login):
    client = login("leader_gansu")
    assert client.get("/", {"as_of": "soon"}).status_code == 400
    # A future quarter stands for the last complete one (docs/api.md): not an error.
    assert client.get("/", {"as_of": "2999Q4"}).status_code == 200


HOSTILE = [XSS, "1900Q1", "-1", "0", "99999999999999999999", "", "%", "' OR 1=1 --", "\u0000"]


def sweep_urls(plan_id, task_url):
    """(user, path, parameter names) for every page and download with query parameters."""
    return [
        ("leader_gansu", "/", ["page", "as_of", "values", "sort"]),
        ("leader_gansu", "/regions/620000/", ["as_of", "values", "certificates-sort"]),
        ("leader_gansu", f"/plans/{plan_id}/", ["as_of", "values", "sort"]),
        ("leader_gansu", "/overview/targets.json", ["page", "as_of", "values"]),
        ("leader_gansu", "/regions/620000/children.csv", ["as_of", "values"]),
        ("leader_gansu", f"/plans/{plan_id}/tasks/", ["unit", "status", "overdue"]),
        ("leader_gansu", f"/plans/{plan_id}/tasks.json", ["period"]),
        ("leader_gansu", f"/plans/{plan_id}/tasks.csv", ["period"]),
        ("leader_gansu", task_url, []),
        ("reviewer_gansu", "/review/", ["period", "status", "region", "sort", "page"]),
        ("official_lanzhou", "/entry/", ["region", "period"]),
        ("official_lanzhou", "/import/template.xlsx", ["period"]),
        ("analyst", "/reports/export.xlsx", ["region", "start", "end", "indicator", "values"]),
    ]


def test_no_parameter_of_any_page_answers_a_500_or_echoes_markup(demo, login):
    from tasks.models import Task

    plan_id = gansu_plan_id()
    task_url = f"/tasks/{Task.objects.filter(plan_id=plan_id).first().pk}/"
    base = {"/reports/export.xlsx": {"region": "620000", "start": "2020Q1", "end": "2020Q4"}}
    failures = []
    for user, path, names in sweep_urls(plan_id, task_url):
        client = login(user)
        for name in names:
            for value in HOSTILE:
                params = base.get(path, {}) | {name: value}
                response = client.get(path, params)
                status = response.status_code
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                text = body.decode("utf-8", "replace")
                ctype = response.get("Content-Type", "")
                if status >= 500:
                    failures.append(f"{path}?{name}={value!r}: {status}")
                elif ctype.startswith("text/html") and "<svg onload" in text:
                    failures.append(f"{path}?{name}={value!r}: markup echoed")
                elif status == 400 and not (
                    ctype.startswith("application/json") or "</html>" in text
                ):
                    failures.append(f"{path}?{name}={value!r}: a bare 400 ({ctype})")
    assert failures == []


def test_path_parameters_with_hostile_quarters_and_periods(demo, login):
    from tasks.models import TaskUnit

    link = TaskUnit.objects.filter(role=TaskUnit.Role.LEAD, task__plan_id=gansu_plan_id()).first()
    client = login("leader_gansu")
    for period in ("1900H1", "0000H1", "2026H9", "1900", XSS):
        response = client.get(f"/tasks/{link.task_id}/units/{link.unit_id}/{period}/")
        assert response.status_code in (200, 400, 403, 404), (period, response.status_code)
        assert "<svg onload" not in response.content.decode()
    reviewer = login("reviewer_gansu")
    for period in ("1900Q1", "2014Q4", "0000Q1", "2999Q4", "2020Q7"):
        response = reviewer.get(f"/review/620100/{period}/")
        assert response.status_code in (200, 400, 404), (period, response.status_code)


def test_a_nul_character_anywhere_is_a_400_naming_the_parameter(client, django_user_model, db):
    from tests.conftest import PASSWORD, make_user

    make_user(django_user_model, "someone")
    assert client.login(username="someone", password=PASSWORD)
    response = client.get("/overview/targets.json", {"as_of": "2020Q1\x00"})
    assert response.status_code == 400 and response.json()["parameter"] == "as_of"
    response = client.get("/regions/62\x000000/")
    assert response.status_code == 400 and "</html>" in response.content.decode()
    response = client.post("/entry/", {"region": "\x00"})
    assert response.status_code == 400
    response = client.post("/accounts/login/", {"username": "a\x00", "password": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("HTTP_COOKIE", "sessionid=ab\x00cd"),  # a NUL in the session cookie: PostgreSQL's 500
        ("HTTP_COOKIE", "csrftoken=\xff\xfe"),  # bytes that are not UTF-8
        ("HTTP_COOKIE", "django_language=zh\x00"),
        ("HTTP_COOKIE", "a\x00b=1"),  # in a cookie's name
        ("HTTP_ACCEPT_LANGUAGE", "zh\x00"),
        ("HTTP_USER_AGENT", "Mozilla\x00"),  # django-axes stores it on a failed sign-in
        ("HTTP_USER_AGENT", "Mozilla \xc3("),
        ("HTTP_REFERER", "https://x/\x1b[2J"),  # a control character
        ("HTTP_X_FORWARDED_FOR", "10.0.0.1\x00"),
    ],
)
def test_bad_bytes_in_a_cookie_or_a_header_are_a_400_naming_it(client, db, header, value):
    from django.contrib.auth import get_user_model

    for method in ("get", "post"):
        response = getattr(client, method)(
            "/accounts/login/", {"username": "a", "password": "b"}, **{header: value}
        )
        assert response.status_code == 400, (method, header, value)
        text = response.content.decode()
        expected = header[5:].replace("_", "-").title()
        assert expected in text and "</html>" in text
    assert not get_user_model().objects.exists()
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.exists()  # the failed sign-in never ran


def test_headers_in_utf8_text_pass(client, db):
    response = client.get(
        "/accounts/login/",
        HTTP_USER_AGENT="浏览器 1.0".encode().decode("latin-1"),  # as WSGI hands UTF-8 over
        HTTP_ACCEPT_LANGUAGE="zh-Hans,zh;q=0.9\t",
    )
    assert response.status_code == 200
