"""``manage.py send_reminders``: the day's reminder digests, at most one per person (run it
daily from a systemd timer or cron, docs/deploy.md). ``--dry-run`` prints what would be sent."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.reminders import reminders_send
from regions.people import display_name


class Command(BaseCommand):
    help = "Send the day's reminder digests by email (at most one per person and day)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; send nothing."
        )
        parser.add_argument("--date", help="The day to remind for (YYYY-MM-DD); default today.")

    def handle(self, *args, dry_run=False, date=None, **options):
        try:
            day = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        result = reminders_send(day=day, dry_run=dry_run)
        for digest, message in result.planned:
            self.stdout.write(
                f"would send to {display_name(digest.user)} <{message.to[0]}>: {message.subject}"
            )
            self.stdout.write("  " + message.body.replace("\n", "\n  "))
        for name in result.failed:
            self.stderr.write(f"failed: {name} (tried again by the next run)")
        for name in result.no_address:
            self.stderr.write(f"no email address: {name}")
        for name in result.unconfirmed:
            self.stderr.write(f"address not confirmed (no mail until its link is opened): {name}")
        summary = (
            f"{day}: sent {len(result.sent)}, failed {len(result.failed)}, "
            f"already sent today {len(result.already)}, opted out {len(result.opted_out)}, "
            f"without address {len(result.no_address)}, unconfirmed {len(result.unconfirmed)}"
        )
        if dry_run:
            # The plan says who is left out and why, and when the leaders' summary goes out:
            # on any other day an empty leaders' section is by design, not a fault.
            summary = (
                f"{day} (dry run): would send {len(result.planned)}, "
                f"already sent today {len(result.already)}, opted out {len(result.opted_out)}, "
                f"without address {len(result.no_address)}, "
                f"unconfirmed {len(result.unconfirmed)}"
            )
            weekday = settings.CERTTRACK["LEADER_SUMMARY_WEEKDAY"]
            if day.weekday() != weekday:
                summary += (
                    f"\nleaders' weekly summary: on {calendar.day_name[weekday]}s "
                    f"(CERTTRACK_LEADER_SUMMARY_WEEKDAY={weekday}), not on {day:%A}"
                )
        self.stdout.write(summary)
        if result.failed and not result.sent:
            # Every delivery failed: a non-zero exit makes the timer's failure visible.
            raise CommandError(summary)
