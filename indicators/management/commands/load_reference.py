"""Load the reference data: regions, plans, indicators and the eight targets of DOMAIN.md, and
the plans' units, task groups and tasks (fixtures/tasks.json), and the certification types of the
register (fixtures/register_types.json)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from regions.services import region_paths_rebuild


class Command(BaseCommand):
    help = "Load regions, plans, indicators, targets, units and tasks from fixtures/ (idempotent)."

    def handle(self, *args, **options):
        call_command(
            "loaddata",
            "regions",
            "plans",
            "tasks",
            "register_types",
            verbosity=options["verbosity"],
        )
        changed = region_paths_rebuild()
        if changed:
            self.stdout.write(self.style.WARNING(f"Rebuilt {changed} region paths."))
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))
