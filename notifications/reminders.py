"""Send the day's reminder digests (``manage.py send_reminders``): at most one mail per person
and day, each recorded in ``SentMail`` (delivered, or the mail server's error).

Idempotent: a person whose digest of the day was delivered gets nothing more that day; one
whose delivery failed is tried again by the next run. Each mail has its own connection, so a
failing server or address never stops the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.utils import timezone

from indicators.selectors.obligations import shared_reads
from notifications.digests import Digest, digest_for, people_to_remind
from notifications.mail import digest_message
from notifications.models import SentMail
from notifications.selectors import mail_address, preference_of


@dataclass
class RunResult:
    """What one run did, per person (usernames)."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)  # an address never proven: no mail
    opted_out: list[str] = field(default_factory=list)
    planned: list[tuple[Digest, object]] = field(default_factory=list)  # dry run


def reminders_send(*, day: dt.date, dry_run: bool = False) -> RunResult:
    """Build and send (or, with ``dry_run``, only build) every digest due on ``day``."""
    with shared_reads():  # what every digest reads alike, once for the run
        return _send(day=day, dry_run=dry_run)


def _send(*, day: dt.date, dry_run: bool) -> RunResult:
    result = RunResult()
    done = dict(SentMail.objects.filter(day=day).values_list("user_id", "status"))
    # Each person's preference comes with them (one query, not one a person).
    for user in people_to_remind().select_related("preference"):
        if done.get(user.pk) == SentMail.Status.SENT:
            result.already.append(user.username)
            continue
        if not preference_of(user).email_enabled:
            result.opted_out.append(user.username)
            continue
        digest = digest_for(user, day=day)
        if digest.empty:
            continue
        if not user.email:
            result.no_address.append(user.username)
            continue
        if not mail_address(user):
            result.unconfirmed.append(user.username)
            continue
        message = digest_message(digest)
        if dry_run:
            result.planned.append((digest, message))
            continue
        error = ""
        try:
            message.connection = get_connection(fail_silently=False)
            message.send()
        except Exception as exc:  # noqa: BLE001  any failure is recorded, the run goes on
            error = f"{type(exc).__name__}: {exc}"[:2000]
        sentmail_record(user=user, day=day, digest=digest, message=message, error=error)
        (result.failed if error else result.sent).append(user.username)
    return result


def sentmail_record(*, user, day: dt.date, digest: Digest, message, error: str) -> SentMail:
    """Record one attempt (a retry updates the day's record and counts the attempt)."""
    status = SentMail.Status.FAILED if error else SentMail.Status.SENT
    record, created = SentMail.objects.get_or_create(
        user=user,
        day=day,
        defaults=dict(
            recipient=user.email,
            subject=message.subject[:300],
            body=message.body,
            sections=",".join(digest.sections),
            status=status,
            error=error,
            attempts=1,
            sent_at=timezone.now(),
        ),
    )
    if not created:
        record.recipient = user.email
        record.subject = message.subject[:300]
        record.body = message.body
        record.sections = ",".join(digest.sections)
        record.status = status
        record.error = error
        record.attempts += 1
        record.sent_at = timezone.now()
        record.save()
    return record
