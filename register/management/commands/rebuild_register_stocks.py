"""Recompute the register's quarter-end stock cells from the certificates (after a bulk load,
a restore, or a move in the region tree)."""

from django.core.management.base import BaseCommand

from register.stocks import register_stocks_rebuild


class Command(BaseCommand):
    help = "Recompute every register stock cell from the certificates and their histories."

    def handle(self, *args, **options):
        n = register_stocks_rebuild()
        self.stdout.write(self.style.SUCCESS(f"{n} register stock cells written."))
