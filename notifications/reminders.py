"""Send the day's reminder digests (``manage.py send_reminders``): at most one mail per person
and day, each recorded in ``SentMail`` (delivered, or the mail server's error).

Idempotent: a person whose digest of the day was delivered gets nothing more that day; one
whose delivery failed is tried again by the next run. Set-wise (issue 25): every person's
digest is built from lists read once for everyone (``notifications.digests.digests_for``), the
mails go through one connection to the mail server (a new one after a failure, so a failing
server or address never stops the others), and the records are written in bulk, every
:data:`RECORD_BATCH` mails and at the end, also after an error. A process killed outright
(SIGKILL, a host restart) loses the records of at most the last batch: those people may get
the day's digest a second time from the next run (a duplicate rather than a lost reminder).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.utils import timezone

from indicators.selectors.obligations import shared_reads
from notifications.digests import Digest, digests_for, people_to_remind
from notifications.mail import digest_message
from notifications.models import SentMail
from notifications.selectors import mail_address, preference_of

RECORD_BATCH = 500  # mails sent between two bulk writes of their records


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
    records = {r.user_id: r for r in SentMail.objects.filter(day=day)}
    due = []
    # Each person's preference and profile (the name in the mail) come with them.
    for user in people_to_remind().select_related("preference", "profile"):
        record = records.get(user.pk)
        if record is not None and record.status == SentMail.Status.SENT:
            result.already.append(user.username)
        elif not preference_of(user).email_enabled:
            result.opted_out.append(user.username)
        else:
            due.append(user)
    digests = digests_for(due, day=day)
    outbox = _Outbox(day=day, records=records)
    try:
        for user in due:
            digest = digests[user.pk]
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
            error = outbox.send(message)
            outbox.record(user=user, digest=digest, message=message, error=error)
            (result.failed if error else result.sent).append(user.username)
    finally:
        outbox.close()
    return result


class _Outbox:
    """One connection to the mail server for the run, and the records of the mails sent,
    written in bulk."""

    def __init__(self, *, day: dt.date, records: dict[int, SentMail]):
        self.day = day
        self.records = records  # the day's records already stored, by user id
        self.connection = None
        self.new: list[SentMail] = []
        self.changed: list[SentMail] = []

    def send(self, message) -> str:
        """Send ``message``; the error ("" when delivered). A connection kept from earlier
        mails that fails (servers close idle connections or limit the mails per connection) is
        replaced and the mail tried once more on a new one."""
        reused = self.connection is not None
        try:
            self._send(message)
        except Exception as exc:  # noqa: BLE001  any failure is recorded, the run goes on
            self._drop()  # the connection may be broken: the next mail opens a new one
            if not reused:
                return f"{type(exc).__name__}: {exc}"[:2000]
            try:
                self._send(message)
            except Exception as again:  # noqa: BLE001
                self._drop()
                return f"{type(again).__name__}: {again}"[:2000]
        return ""

    def _send(self, message) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        message.connection = self.connection
        message.send()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001, S110  closing a broken connection may fail too
                pass

    def record(self, *, user, digest: Digest, message, error: str) -> None:
        """Keep the record of one attempt (a retry updates the day's record and counts the
        attempt); written with the next batch."""
        values = dict(
            recipient=user.email,
            subject=message.subject[:300],
            body=message.body,
            sections=",".join(digest.sections),
            status=SentMail.Status.FAILED if error else SentMail.Status.SENT,
            error=error,
            sent_at=timezone.now(),
        )
        stored = self.records.get(user.pk)
        if stored is None:
            self.new.append(SentMail(user=user, day=self.day, attempts=1, **values))
        else:
            for name, value in values.items():
                setattr(stored, name, value)
            stored.attempts += 1
            self.changed.append(stored)
        if len(self.new) + len(self.changed) >= RECORD_BATCH:
            self.flush()

    def flush(self) -> None:
        SentMail.objects.bulk_create(self.new)
        fields = ["recipient", "subject", "body", "sections", "status", "error", "sent_at"]
        SentMail.objects.bulk_update(self.changed, [*fields, "attempts"])
        self.new, self.changed = [], []

    def close(self) -> None:
        self._drop()
        self.flush()
