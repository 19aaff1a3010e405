"""``manage.py map_directory_group <group> <region-code> <role> [--remove]``: map a directory
group (an LDAP group DN, an OIDC ``groups`` claim value) to a role in a region, or remove the
mapping; ``--list`` shows them all. The same mappings as the page /users/directory-groups/."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.directory import group_mapping_add
from accounts.models import DirectoryGroupMapping
from regions.models import Membership, Region


class Command(BaseCommand):
    help = "Map a directory group to a role in a region (applied at every directory sign-in)."

    def add_arguments(self, parser):
        parser.add_argument("group", nargs="?")
        parser.add_argument("region_code", nargs="?")
        parser.add_argument("role", nargs="?", help=", ".join(Membership.Role.values))
        parser.add_argument("--remove", action="store_true", help="remove this mapping")
        parser.add_argument("--list", action="store_true", help="list every mapping")

    def handle(self, *args, group=None, region_code=None, role=None, **options):
        if options["list"]:
            for m in DirectoryGroupMapping.objects.select_related("region"):
                self.stdout.write(f"{m.group}\t{m.region.code}\t{m.role}")
            return
        if not (group and region_code and role):
            raise CommandError("usage: map_directory_group <group> <region-code> <role>")
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise CommandError(f"No region has the code {region_code}.")
        if role not in Membership.Role.values:
            raise CommandError(
                f"Unknown role {role!r}; one of: {', '.join(Membership.Role.values)}."
            )
        if options["remove"]:
            n, _ = DirectoryGroupMapping.objects.filter(
                group=group.strip(), region=region, role=role
            ).delete()
            if not n:
                raise CommandError("No such mapping.")
            self.stdout.write(f"Removed: {group} -> {role}@{region.code}")
            return
        try:
            group_mapping_add(actor=None, group=group, region=region, role=role)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Mapped: {group} -> {role}@{region.code}")
