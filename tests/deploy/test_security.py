"""Security hardening: login throttling, passwords, sessions, transport, headers, upload limits."""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from tests.conftest import PASSWORD, make_user
from tests.deploy.test_deploy import run_python

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def user(django_user_model):
    return make_user(django_user_model, "official_x")


def post_login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


# --- failed-login throttling ---------------------------------------------------------------


def test_login_is_locked_after_too_many_failures_with_a_clear_message(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = post_login(client, "official_x", "wrong-password")
        assert response.status_code == 200  # the form again, with its error
    response = post_login(client, "official_x", "wrong-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "暂时锁定" in page and "15" in page  # Chinese first, names the cool-off minutes
    # Locked: even the right password is refused now.
    response = post_login(client, "official_x", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_message_is_translated_to_english(client, user, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = post_login(client, "official_x", "wrong-password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in temporarily locked" in page and "15 minutes" in page


def test_lockout_is_per_user_and_address_so_colleagues_behind_one_nat_can_sign_in(
    client, user, django_user_model, settings
):
    make_user(django_user_model, "colleague")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "official_x", "wrong-password")
    response = post_login(client, "colleague", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_behind_the_proxy_the_lockout_counts_the_real_client_address(client, user, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CERTTRACK_TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "official_x", "wrong-password", HTTP_X_REAL_IP="10.1.1.1")
    assert post_login(client, "official_x", PASSWORD, HTTP_X_REAL_IP="10.1.1.1").status_code == 429
    assert post_login(client, "official_x", PASSWORD, HTTP_X_REAL_IP="10.1.1.2").status_code == 302


def test_a_successful_login_resets_the_failure_count(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, "official_x", "wrong-password")
    assert post_login(client, "official_x", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "official_x", "wrong-password").status_code == 200


# --- passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, message",
    [
        ("Xy7#q", "too short"),
        ("password123", "too common"),
        ("4815162342", "entirely numeric"),
    ],
)
def test_weak_passwords_are_refused(password, message, db):
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        validate_password(password)
    assert any(message in m for m in excinfo.value.messages)


def test_a_password_like_the_username_is_refused(user):
    with pytest.raises(ValidationError):
        validate_password("official_x1", user=user)
    validate_password("Qinghai-lake-2026!", user=user)  # a good one passes


# --- sessions ------------------------------------------------------------------------------


def test_session_ends_with_the_browser_and_after_eight_hours(client, user, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    response = post_login(client, "official_x", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    session = Session.objects.get(session_key=cookie.value)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert 8 * 3600 - 60 < remaining <= 8 * 3600


def test_an_expired_session_is_sent_back_to_sign_in(client, user):
    post_login(client, "official_x", PASSWORD)
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- transport security in production --------------------------------------------------------


def test_production_settings_turn_on_secure_cookies_hsts_and_https_redirect():
    result = run_python(
        """
        import json
        import django
        django.setup()
        from django.conf import settings as s
        print(json.dumps({k: getattr(s, k, None) for k in (
            "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER",
            "SESSION_COOKIE_HTTPONLY")}))
        """
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SESSION_COOKIE_HTTPONLY": True,
    }


def test_production_requests_redirect_to_https_and_send_hsts(client, user, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    response = client.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.cookies[settings.CSRF_COOKIE_NAME]["secure"]
    response = post_login(client, "official_x", PASSWORD, secure=True)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"]


# --- headers -------------------------------------------------------------------------------


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


def test_every_page_has_a_csp_without_inline_script(client, user):
    client.force_login(user)
    for url in ("/accounts/login/", "/", "/healthz", "/static/css/certtrack.css"):
        policy = csp(client.get(url))
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]


def test_pages_deny_framing_and_limit_the_referrer(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_no_template_has_inline_script_or_event_handler_attributes():
    """The CSP would block them; page code belongs in static/js (json_script for data)."""
    offenders = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or EVENT_HANDLER.search(text) or "javascript:" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# --- upload limits -------------------------------------------------------------------------


def test_a_too_large_upload_gets_a_clear_413_page(client, user, settings):
    client.force_login(user)
    big = b"x" * (settings.CERTTRACK_MAX_REQUEST_SIZE + 1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/", {"file": SimpleUploadedFile("counts.xlsx", big)})
    assert response.status_code == 413
    page = response.content.decode()
    assert "上传内容过大" in page and "10 MB" in page
    assert "Traceback" not in page


def test_too_many_form_bytes_get_the_413_page_too(client, db, settings):
    """Form fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE (under the body limit) are refused as well."""
    response = client.post(
        "/accounts/login/", {"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    )
    assert response.status_code == 413
    assert "上传内容过大" in response.content.decode()
