"""Password reset either works or is not offered (issue 12.10); never a "sent" page for a mail
that could not be sent."""

from __future__ import annotations

import re
import smtplib

import pytest
from django.core import mail

from tests.conftest import confirm_address, make_user

RESET = "/accounts/password_reset/"


@pytest.fixture
def user(django_user_model):
    u = make_user(django_user_model, "official_x")
    u.email = "official.x@example.gov.cn"
    u.save()
    return confirm_address(u)


@pytest.fixture
def mail_on(settings):
    settings.EMAIL_HOST = "mail.example.gov.cn"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CERTTRACK_PASSWORD_RESET = True


def test_without_mail_the_reset_is_not_offered(client, user, settings):
    settings.EMAIL_HOST = ""
    login = client.get("/accounts/login/").content.decode()
    assert RESET not in login
    for url in (RESET, "/accounts/password_reset/done/", "/accounts/reset/MQ/set-password/",
                "/accounts/reset/done/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    response = client.post(RESET, {"email": user.email})
    assert response.status_code == 404 and mail.outbox == []


def test_with_mail_a_link_is_sent_and_sets_a_new_password(client, user, mail_on):
    assert RESET in client.get("/accounts/login/").content.decode()
    page = client.get(RESET, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "忘记密码" in page.content.decode()
    response = client.post(RESET, {"email": user.email})
    assert response.status_code == 302 and response["Location"].endswith("/password_reset/done/")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    response = client.post(form.redirect_chain[-1][0],
                           {"new_password1": "Lanzhou-2026-certs", "new_password2": "Lanzhou-2026-certs"})  # fmt: skip
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Lanzhou-2026-certs")


def test_a_mail_that_cannot_be_sent_is_said_so_not_sent(client, user, mail_on, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("relay down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    response = client.post(RESET, {"email": user.email}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    text = response.content.decode()
    assert "could not be sent" in text and "done" not in response.get("Location", "")


def test_requests_are_throttled(client, user, mail_on, settings):
    settings.CERTTRACK_PASSWORD_RESET_PER_HOUR = 2
    codes = [client.post(RESET, {"email": user.email}).status_code for _ in range(4)]
    assert codes == [302, 302, 429, 429]
    assert len(mail.outbox) == 2
    # another address asking for the same account is throttled by the mail address too
    other = client.post(RESET, {"email": user.email}, REMOTE_ADDR="10.0.0.7")
    assert other.status_code == 429
