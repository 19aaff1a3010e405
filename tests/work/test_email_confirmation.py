"""A mail address is proven before mail goes to it (issue 24.5): a new address gets a signed,
expiring confirmation link and nothing else until it is opened; an address another user has
confirmed is refused; password resets go to confirmed addresses only."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from notifications.models import Preference
from notifications.selectors import mail_address, needs_confirmation
from notifications.services import email_confirm, email_confirmation_token, preference_update

PREFS = "/preferences/"


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CERTTRACK_BASE_URL = "https://certtrack.example.gov.cn"


def change(client, address, **extra):
    return client.post(PREFS, {"email": address, "email_enabled": "on", "language": "", **extra})


def link_in(message) -> str:
    (url,) = re.findall(
        r"https://certtrack\.example\.gov\.cn(/preferences/confirm/\S+/)", message.body
    )
    return url


def test_a_new_address_gets_a_link_and_no_other_mail_until_it_is_opened(people, as_user):
    client = as_user("official")
    off = people["official"]
    assert mail_address(off) == "off@example.org"
    response = change(client, "Off.New@Example.org")
    assert response.status_code == 302
    off.refresh_from_db()
    # Django's User.clean lowercases the domain
    assert off.email == "Off.New@example.org" and mail_address(off) == ""
    assert needs_confirmation(off)
    (sent,) = mail.outbox
    assert sent.to == ["Off.New@example.org"]  # only the new address hears of it
    url = link_in(sent)
    page = client.get(PREFS).content.decode()
    assert "Not confirmed yet" in page and 'name="resend"' in page
    change(client, "Off.New@example.org", resend="1")  # "Send the link again"
    assert [m.to for m in mail.outbox] == [["Off.New@example.org"]] * 2
    change(client, "Off.New@example.org")  # saving again without asking: no new mail
    assert len(mail.outbox) == 2
    # Opening the link (GET) shows a button and changes nothing: a mail scanner follows links.
    shown = client.get(url)
    assert shown.status_code == 200 and "Off.New@example.org" in shown.content.decode()
    assert mail_address(off) == ""
    assert client.post(url).status_code == 302
    off.refresh_from_db()
    assert mail_address(off) == "Off.New@example.org"
    assert Preference.objects.get(user=off).email_confirmed == "Off.New@example.org"
    # Saving the same address again (another case too) sends nothing.
    change(client, "off.new@example.org")
    assert len(mail.outbox) == 2 and 'name="resend"' not in client.get(PREFS).content.decode()


def test_the_link_proves_only_its_users_current_address_and_expires(people, as_user, monkeypatch):
    off, other = people["official"], people["official_b"]
    preference_update(user=off, email="x@example.org", email_enabled=True, language="")
    token = email_confirmation_token(user=off, address="x@example.org")
    with pytest.raises(ValidationError) as forged:
        email_confirm(user=other, token=token)  # someone else's link
    assert forged.value.code == "invalid"
    with pytest.raises(ValidationError) as tampered:
        email_confirm(user=off, token=token[:-2] + "xx")
    assert tampered.value.code == "invalid"
    later = time.time() + 3 * 24 * 3600 + 60  # CERTTRACK_EMAIL_CONFIRM_DAYS = 3, plus a minute
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    with pytest.raises(ValidationError) as expired:
        email_confirm(user=off, token=token)
    assert expired.value.code == "expired"
    monkeypatch.undo()
    preference_update(user=off, email="y@example.org", email_enabled=True, language="")
    with pytest.raises(ValidationError) as stale:
        email_confirm(user=off, token=token)  # the address changed since the link was sent
    assert stale.value.code == "stale"
    assert mail_address(off) == ""
    as_user("official_b")
    assert Preference.objects.get(user=off).email_confirmed == "off@example.org"


def test_an_address_confirmed_by_another_user_is_refused(people, as_user):
    client = as_user("official")
    response = change(client, "REV@example.org")  # the reviewer's, confirmed
    assert response.status_code == 200
    assert "already confirmed by another user" in response.content.decode()
    people["official"].refresh_from_db()
    assert people["official"].email == "off@example.org" and mail.outbox == []


def test_two_users_racing_for_one_address_only_the_first_to_confirm_wins(people):
    off, off_b = people["official"], people["official_b"]
    for user in (off, off_b):
        preference_update(user=user, email="shared@example.org", email_enabled=True, language="")
    email_confirm(user=off, token=email_confirmation_token(user=off, address="shared@example.org"))
    with pytest.raises(ValidationError) as taken:
        email_confirm(
            user=off_b, token=email_confirmation_token(user=off_b, address="shared@example.org")
        )
    assert taken.value.code == "taken"
    assert mail_address(off) == "shared@example.org" and mail_address(off_b) == ""


def test_a_password_reset_goes_only_to_a_confirmed_address(people, client, settings):
    settings.EMAIL_HOST = "mail.example.gov.cn"
    settings.CERTTRACK_PASSWORD_RESET = True
    off = people["official"]
    preference_update(user=off, email="unproven@example.org", email_enabled=True, language="")
    client.post("/accounts/password_reset/", {"email": "unproven@example.org"})
    assert mail.outbox == []
    client.post("/accounts/password_reset/", {"email": "rev@example.org"})
    assert [m.to for m in mail.outbox] == [["rev@example.org"]]


def test_existing_addresses_were_taken_as_confirmed_by_the_migration(transactional_db):
    """The data migration: one holder of an address is confirmed; a shared one is not."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from tests.conftest import make_user

    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0001_notifications_preferences_sentmail")])
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    solo = make_user(user_model, "solo")
    twin1, twin2 = make_user(user_model, "twin1"), make_user(user_model, "twin2")
    user_model.objects.filter(pk=solo.pk).update(email="Solo@example.org")
    user_model.objects.filter(pk__in=[twin1.pk, twin2.pk]).update(email="twin@example.org")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert Preference.objects.get(user=solo).email_confirmed == "Solo@example.org"
    assert not Preference.objects.filter(user__in=[twin1, twin2]).exclude(email_confirmed="")
