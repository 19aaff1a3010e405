"""Store every target's status as of the reporting quarter (``indicators.target_statuses``).

Run daily by a timer just after midnight (docs/deploy.md, 6b): on the first day of a quarter
it builds the new reporting quarter's statuses before anyone opens a home; on the other days
it finds them stored and does nothing (one query). Idempotent. ``--rebuild`` recomputes them
even if stored (after a restore, or a bulk load that bypassed the services).
"""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from indicators.models import TargetStatus
from indicators.periods import Quarter
from indicators.target_statuses import target_statuses_build, target_statuses_ensure


class Command(BaseCommand):
    help = "Store every target's progress status as of the reporting quarter (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, help="as of another day (YYYY-MM-DD)"
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="recompute them even if they are stored"
        )

    def handle(self, *args, date=None, rebuild=False, **options):
        # The reporting quarter (work.selectors.todo.reporting_quarter): the latest ended.
        as_of = Quarter.last_complete(date or timezone.localdate())
        if rebuild:
            target_statuses_build(as_of)
        else:
            target_statuses_ensure(as_of)
        n = TargetStatus.objects.filter(as_of_year=as_of.year, as_of_quarter=as_of.quarter).count()
        self.stdout.write(self.style.SUCCESS(f"{n} target statuses stored as of {as_of}."))
