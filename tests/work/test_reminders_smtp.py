"""send_reminders against a real SMTP server (aiosmtpd, started here on a free local port):
what arrives, to whom, once; a refused or unreachable server retried by the next run."""

from __future__ import annotations

import calendar
import datetime as dt
import email
import socket
from email.policy import default as default_policy

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import submission_last_day
from notifications.models import Notification, Preference, SentMail
from tests.work.conftest import submit

P = Quarter.last_complete(timezone.localdate())
AFTER = submission_last_day(P) + dt.timedelta(days=1)  # the day after the last on-time day
BASE = "https://certtrack.example.gov.cn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An aiosmtpd handler keeping every message; it refuses the addresses in ``refuse``."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address):
        return [m for m in self.messages if m["X-Envelope-To"] == address]


@pytest.fixture
def smtp(settings):
    """A local SMTP server and Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "certtrack@example.gov.cn"
    settings.CERTTRACK_BASE_URL = BASE
    settings.CERTTRACK = {**settings.CERTTRACK, "LEADER_SUMMARY_WEEKDAY": AFTER.weekday()}
    yield handler
    controller.stop()


@pytest.fixture
def scene(people, tree):
    """On AFTER: A and its zone (official "off") and C (no official) have not reported P; B
    reported every quarter, its P submission waiting for five days."""
    for q in range(4):
        submit(people["official_b"], tree["b"], P - q)
    five_days_before = dt.datetime.combine(AFTER - dt.timedelta(days=5), dt.time(10))
    QuarterlyCount.objects.filter(region=tree["b"]).update(
        submitted_at=timezone.make_aware(five_days_before)
    )
    return people


def body(msg, kind="plain"):
    return msg.get_body(preferencelist=(kind,)).get_content()


def test_each_person_gets_one_digest_with_links_in_their_language(smtp, scene, tree):
    Preference.objects.filter(user=scene["reviewer"]).update(language="en")
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    got = {m["X-Envelope-To"] for m in smtp.messages}
    # off: A and the zone are late; rev: B waits 5 days > 3, C has no official; lead: weekly;
    # rev2: its city has no official. off_b (all in) and the analyst: nothing.
    assert got == {"off@example.org", "rev@example.org", "lead@example.org", "rev2@example.org"}
    assert len(smtp.messages) == 4

    (off,) = smtp.to("off@example.org")
    text = body(off)
    # A and the zone, each late for the four quarters the to-do asks for: 8 items.
    assert off["Subject"].strip() == f"CertTrack：您有 8 项待办（{AFTER.isoformat()}）"
    assert "需要您处理的季度" in text and "A新区" in text and "逾期 1 天" in text
    assert f"A {P}：" in text and f"{P}: " not in text  # Chinese punctuation in a Chinese mail
    assert f"{BASE}/entry/?region=990100&period={P}" in text
    html = body(off, "html")
    assert f'href="{BASE}/entry/?region=990100&amp;period={P}"' in html
    assert off["From"] == "certtrack@example.gov.cn"

    (rev,) = smtp.to("rev@example.org")
    text = body(rev)
    assert "Submissions waiting for your review" in text and f"B {P}: waiting 5 days" in text
    assert f"{BASE}/review/990200/{P}/" in text
    assert "Late units without any official" in text and "990300" not in text and "C " in text
    assert "A新区" not in text  # the zone has an official: reminded there, not here

    (lead,) = smtp.to("lead@example.org")
    assert "Weekly summary" in body(lead) or "每周汇总" in body(lead)
    # a summary to read, titled as one (not "您有 N 项待办"): the leader has nothing to act on
    assert lead["Subject"].strip().startswith(f"CertTrack 每周汇总（{AFTER.isoformat()}）：")
    assert "待办" not in lead["Subject"]

    assert SentMail.objects.filter(status=SentMail.Status.SENT).count() == 4


def test_a_second_run_the_same_day_sends_nothing(smtp, scene):
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    first = len(smtp.messages)
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    assert len(smtp.messages) == first
    assert SentMail.objects.count() == first
    assert set(SentMail.objects.values_list("attempts", flat=True)) == {1}


def test_the_leaders_summary_is_weekly(smtp, scene):
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    call_command("send_reminders", date=(AFTER + dt.timedelta(days=1)).isoformat(), verbosity=0)
    assert len(smtp.to("lead@example.org")) == 1
    assert len(smtp.to("off@example.org")) == 2  # officials: every day while late


def test_a_refused_address_is_retried_next_run_and_never_stops_the_others(smtp, scene):
    smtp.refuse.add("off@example.org")
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)  # others delivered
    assert smtp.to("off@example.org") == [] and len(smtp.to("rev@example.org")) == 1
    failed = SentMail.objects.get(user=scene["official"])
    assert failed.status == SentMail.Status.FAILED and "550" in failed.error
    smtp.refuse.clear()
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    assert len(smtp.to("off@example.org")) == 1 and len(smtp.to("rev@example.org")) == 1
    failed.refresh_from_db()
    assert failed.status == SentMail.Status.SENT and failed.attempts == 2


def test_an_unreachable_server_fails_every_mail_then_the_next_run_delivers(smtp, scene, settings):
    real = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    with pytest.raises(CommandError):
        call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    assert SentMail.objects.filter(status=SentMail.Status.FAILED).count() == 4
    settings.EMAIL_PORT = real
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    assert len(smtp.messages) == 4
    assert not SentMail.objects.filter(status=SentMail.Status.FAILED).exists()


def test_dry_run_prints_and_sends_nothing(smtp, scene, capsys):
    call_command("send_reminders", date=AFTER.isoformat(), dry_run=True)
    out = capsys.readouterr().out
    # The person by name (display_name: first_name "official" in the fixture), not username.
    assert "would send to official <off@example.org>" in out and "would send 4" in out
    assert smtp.messages == [] and not SentMail.objects.exists()


def test_opting_out_stops_mail_but_not_the_notifications(smtp, scene, tree):
    Preference.objects.filter(user=scene["reviewer"]).update(email_enabled=False)
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    assert smtp.to("rev@example.org") == []
    assert Notification.objects.filter(user=scene["reviewer"], kind="submitted").exists()


def test_the_record_is_visible_to_administrators(smtp, scene, client, django_user_model):
    from tests.conftest import PASSWORD, make_user

    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    make_user(django_user_model, "root", superuser=True)
    client.login(username="root", password=PASSWORD)
    page = client.get("/admin/notifications/sentmail/").content.decode()
    assert "off@example.org" in page and "rev@example.org" in page


def test_officials_are_reminded_from_n_days_before_the_deadline(smtp, people, tree):
    """REMIND_DAYS_BEFORE = 5: the official of A (every earlier quarter in) hears of P five
    days before its last on-time day, not six."""
    for region in (tree["a"], tree["zone"]):
        for q in (1, 2, 3):
            submit(people["official"], region, P - q)
    last_day = submission_last_day(P)
    call_command("send_reminders", date=(last_day - dt.timedelta(days=6)).isoformat())
    assert smtp.to("off@example.org") == []
    call_command("send_reminders", date=(last_day - dt.timedelta(days=5)).isoformat())
    (mail,) = smtp.to("off@example.org")
    assert "还剩 5 天" in body(mail)


def test_a_fresh_submission_does_not_remind_its_reviewer(smtp, people, tree):
    """REVIEW_WAIT_DAYS = 3: a submission waiting three days is not yet in a digest."""
    submit(people["official"], tree["a"], P)
    three = dt.datetime.combine(AFTER - dt.timedelta(days=3), dt.time(10))
    QuarterlyCount.objects.update(submitted_at=timezone.make_aware(three))
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    (rev,) = smtp.to("rev@example.org")  # for C, late without an official; not for A
    assert "990100" not in body(rev) and "等待" not in body(rev)


def test_dry_run_says_who_is_left_out_and_when_the_leaders_hear(smtp, scene, settings, capsys):
    Preference.objects.filter(user=scene["reviewer"]).update(email_enabled=False)
    other_day = (AFTER.weekday() + 1) % 7
    settings.CERTTRACK = {**settings.CERTTRACK, "LEADER_SUMMARY_WEEKDAY": other_day}
    call_command("send_reminders", date=AFTER.isoformat(), dry_run=True)
    out = capsys.readouterr().out
    # Of the four digests of AFTER, the reviewer's is opted out and the leader's is not due.
    assert "would send 2, already sent today 0, opted out 1, without address 0" in out
    assert "would send to rev " not in out and "would send to lead " not in out
    day_name = calendar.day_name[other_day]
    assert f"leaders' weekly summary: on {day_name}s" in out
    assert f"not on {AFTER:%A}" in out
    assert smtp.messages == [] and not SentMail.objects.exists()


def test_a_returned_quarter_reads_naturally_in_chinese(people, tree):
    from django.utils import translation

    from indicators.services.review import counts_return
    from notifications.mail import _official_line
    from work.selectors import todo

    submit(people["official"], tree["a"], P)
    people["reviewer"].first_name = "审核员甲"
    people["reviewer"].save()
    counts_return(user=people["reviewer"], region=tree["a"], period=P, comment="请核对")
    items = todo.official_items(people["official"], today=AFTER)
    (item,) = [i for i in items if i.period == P and i.region == tree["a"]]
    with translation.override("zh-hans"):
        line = _official_line(item)
    assert line.text == f"A {P}：审核员甲已退回"  # not "已被审核员甲已退回"


def test_a_reviewers_reason_is_quoted_in_the_plain_text_so_it_cannot_pose_as_the_mail(
    smtp, scene, tree
):
    """Every line of user-written text sits behind "> " (issue 24.5): none starts at the left
    margin as a header, a section title or a link of ours."""
    from indicators.services.review import counts_return

    submit(scene["official"], tree["a"], P)
    forged = (
        "请补充数据\r\nSubject: 密码已过期\n== 请重新登录 ==\u2028"
        f"{BASE}/accounts/login/?next=https://evil.example\n\n- 伪造的一项"
    )
    counts_return(user=scene["reviewer"], region=tree["a"], period=P, comment=forged)
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    (off,) = smtp.to("off@example.org")
    lines = body(off).splitlines()
    quoted = [line for line in lines if line.startswith("  > ")]
    assert [q[4:] for q in quoted] == [
        "请补充数据",
        "Subject: 密码已过期",
        "== 请重新登录 ==",
        f"{BASE}/accounts/login/?next=https://evil.example",
        "",
        "- 伪造的一项",
    ]
    assert not any(
        line.startswith(("Subject:", "== 请", "- 伪造", f"{BASE}/accounts")) for line in lines
    )
    assert "请补充数据" in body(off, "html")  # the HTML part shows it escaped, as before


def test_no_digest_goes_to_an_address_not_yet_confirmed(smtp, scene):
    off = scene["official"]
    off.email = "new.address@example.org"  # changed, e.g. in the admin: not proven
    off.save()
    out = call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    del out
    assert smtp.to("new.address@example.org") == [] and smtp.to("off@example.org") == []
    assert not SentMail.objects.filter(user=off).exists()
    assert smtp.to("rev@example.org")  # the others still get theirs


def test_a_server_that_drops_a_kept_connection_gets_the_mail_on_a_new_one(smtp, scene, monkeypatch):
    # Servers limit the mails per connection or close idle ones: the run sends each person's
    # mail on a new connection when the kept one fails (here: one mail per connection).
    import smtplib

    from django.core.mail.backends.smtp import EmailBackend

    real = EmailBackend.send_messages

    def one_per_connection(self, messages):
        if getattr(self, "used", False):
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        self.used = True
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", one_per_connection)
    call_command("send_reminders", date=AFTER.isoformat(), verbosity=0)
    assert len(smtp.messages) == 4
    assert not SentMail.objects.filter(status=SentMail.Status.FAILED).exists()
