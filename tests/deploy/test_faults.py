"""Faults: a database that does not answer gives a clear, translated 503 page, not a stack trace.

The real stop-and-start of PostgreSQL (and the recovery without restarting gunicorn) is
bench/fault_db_restart.py, run by .ci/run.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import Client

from tests.conftest import make_user


@pytest.fixture
def browser(django_user_model):
    """A signed-in client that gets error pages instead of exceptions, as a browser would."""
    client = Client(raise_request_exception=False)
    client.force_login(make_user(django_user_model, "leader"))
    return client


def down(target: str, exc=None):
    exc = exc or OperationalError('connection to server at "127.0.0.1", port 5432 failed')
    return mock.patch(target, side_effect=exc)


def test_a_query_failing_in_a_view_gives_the_503_page(browser):
    with down("indicators.views.dashboards.overview_plan_cards"):
        response = browser.get("/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "暂时无法使用" in page and "数据库" in page
    assert "Traceback" not in page and "OperationalError" not in page and "5432" not in page
    assert response["Retry-After"] == "30"
    assert 'http-equiv="refresh"' in page  # a GET page retries by itself


def test_the_session_store_failing_before_any_view_gives_the_503_page(browser):
    """The first query of a request is usually the session's, in the login middleware."""
    with down("django.contrib.sessions.backends.db.SessionStore.load"):
        response = browser.get("/")
    assert response.status_code == 503


def test_a_lost_connection_gives_the_503_page_in_english(browser, settings):
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with down(
        "indicators.views.dashboards.overview_plan_cards",
        InterfaceError("connection already closed"),
    ):
        response = browser.get("/")
    assert response.status_code == 503
    assert "CertTrack is temporarily unavailable" in response.content.decode()


def test_a_post_while_the_database_is_down_is_not_retried_by_the_page(browser):
    with down("django.contrib.sessions.backends.db.SessionStore.load"):
        response = browser.post("/", {"x": "1"})
    assert response.status_code == 503
    assert 'http-equiv="refresh"' not in response.content.decode()


def test_a_bug_in_a_query_stays_a_500_not_a_503(browser):
    with down(
        "indicators.views.dashboards.overview_plan_cards", ProgrammingError("column does not exist")
    ):
        response = browser.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器错误" in page and "Traceback" not in page


def test_the_app_answers_again_once_the_database_is_back(browser):
    with down("indicators.views.dashboards.overview_plan_cards"):
        assert browser.get("/").status_code == 503
    assert browser.get("/").status_code == 200


def test_database_down_is_logged_in_one_line_and_other_errors_keep_their_traceback():
    import logging
    import sys

    from certtrack.logs import DatabaseUnavailableFilter

    def record(exc):
        try:
            raise exc
        except Exception:
            return logging.LogRecord(
                "django.request",
                logging.ERROR,
                __file__,
                1,
                "%s: %s",
                ("Service Unavailable", "/"),
                sys.exc_info(),
            )

    down_record = record(OperationalError("connection refused\n\tIs the server running?"))
    assert DatabaseUnavailableFilter().filter(down_record)
    assert down_record.levelname == "WARNING" and down_record.exc_info is None
    assert down_record.getMessage() == (
        "Database unavailable: Service Unavailable: /: connection refused Is the server running?"
    )
    bug = record(ProgrammingError("column does not exist"))
    assert DatabaseUnavailableFilter().filter(bug)
    assert bug.levelname == "ERROR" and bug.exc_info is not None
