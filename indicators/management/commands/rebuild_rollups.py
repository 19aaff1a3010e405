"""Recompute the materialized roll-ups from the raw counts (after a bulk load or a restore)."""

from django.core.management.base import BaseCommand

from indicators.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute every materialized roll-up cell from the quarterly counts."

    def handle(self, *args, **options):
        n = rollups_rebuild()
        self.stdout.write(self.style.SUCCESS(f"{n} roll-up cells written."))
