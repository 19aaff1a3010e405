"""Sign-in through the bureau's directory: what a directory says about a person, applied to
their CertTrack account at every sign-in (LDAP: ``accounts.directory_ldap``; OpenID Connect:
``accounts.directory_oidc``), and the group -> region + role mappings (docs/accounts.md).

Roles follow the directory: a directory account's memberships are exactly those its groups map
to, recomputed at every sign-in (a role granted by hand to a directory account lasts until its
next sign-in). Name and mail come from the directory too. Local accounts are never touched: a
directory sign-in whose username belongs to a local account is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, DirectoryGroupMapping, Profile
from accounts.selectors import can_grant
from regions.models import Membership, Region
from regions.people import display_name

log = logging.getLogger(__name__)
Role = Membership.Role


class DirectoryConflict(Exception):
    """The directory's username belongs to an account of this system (or a superuser)."""


def _norm(group: str, source: str) -> str:
    # LDAP DNs are case-insensitive; OIDC claim values are compared as given (trimmed).
    return group.strip().lower() if source == Profile.Source.LDAP else group.strip()


def mappings_for(*, groups: Iterable[str], source: str) -> set[tuple[int, str]]:
    """The (region id, role) pairs the ``groups`` map to."""
    wanted = {_norm(g, source) for g in groups if g and g.strip()}
    if not wanted:
        return set()
    pairs = set()
    for mapping in DirectoryGroupMapping.objects.filter(region__active=True).only(
        "group", "region_id", "role"
    ):
        if _norm(mapping.group, source) in wanted:
            pairs.add((mapping.region_id, mapping.role))
    return pairs


def directory_account(*, username: str, source: str, directory_id: str):
    """The account a directory person signs in to: found by its directory identifier, else by
    username (a directory account only), else new (unsaved fields filled by the sync)."""
    User = get_user_model()
    profile = (
        Profile.objects.select_related("user")
        .filter(source=source, directory_id=directory_id)
        .first()
        if directory_id
        else None
    )
    if profile is not None:
        return profile.user
    user = User.objects.filter(username__iexact=username).select_related("profile").first()
    if user is not None:
        existing = getattr(user, "profile", None)
        if user.is_superuser or user.is_staff or existing is None or existing.source != source:
            raise DirectoryConflict(username)
        return user
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    Profile.objects.create(user=user, source=source, directory_id=directory_id)
    AccountEvent.objects.create(
        account=user,
        actor=None,
        action=AccountEvent.Action.CREATED,
        changes=[["username", "", username], ["source", "", source]],
    )
    return user


@transaction.atomic
def directory_sync(
    *, user, source: str, directory_id: str, name: str, email: str, groups: Iterable[str]
):
    """Apply what the directory says (name, mail, groups -> memberships) to ``user``; records
    an AccountEvent when anything changed. Returns the user."""
    changes = []
    name, email = (name or "").strip()[:150], (email or "").strip()[:254]
    if name and user.first_name != name:
        changes.append(["name", user.first_name, name])
        user.first_name = name
    if user.email != email:
        changes.append(["email", user.email, email])
        user.email = email
    if changes:
        user.save(update_fields=["first_name", "email"])
    profile, _created = Profile.objects.get_or_create(user=user, defaults={"source": source})
    if profile.source != source or (directory_id and profile.directory_id != directory_id):
        profile.source, profile.directory_id = source, directory_id or profile.directory_id
        profile.save(update_fields=["source", "directory_id"])
    wanted = mappings_for(groups=groups, source=source)
    held = {
        (m.region_id, m.role): m
        for m in Membership.objects.filter(user=user).select_related("region")
    }
    regions = {r.pk: r for r in Region.objects.filter(pk__in={rid for rid, _ in wanted})}
    for key in sorted(set(held) - wanted):
        m = held[key]
        m.delete()
        changes.append(["role", f"{m.role}@{m.region.code}", ""])
    for region_id, role in sorted(wanted - set(held)):
        Membership.objects.create(user=user, region_id=region_id, role=role)
        changes.append(["role", "", f"{role}@{regions[region_id].code}"])
    if changes:
        AccountEvent.objects.create(
            account=user, actor=None, action=AccountEvent.Action.DIRECTORY, changes=changes
        )
        log.info("directory sign-in updated %s: %s", display_name(user), changes)
    return user


# --- the mappings ---------------------------------------------------------------------------


def group_mappings_visible_to(admin):
    """The mappings ``admin`` may see and remove: those whose role they could grant."""
    mappings = DirectoryGroupMapping.objects.select_related("region", "created_by").all()
    return [m for m in mappings if can_grant(admin, role=m.role, region=m.region)]


@transaction.atomic
def group_mapping_add(*, actor, group: str, region: Region, role: str) -> DirectoryGroupMapping:
    """Map a directory group to ``role`` at ``region`` (within what ``actor`` may grant;
    ``actor`` None: the command line, which may map anything)."""
    group = group.strip()
    if not group:
        raise ValidationError({"group": _("Give the directory group.")})
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    if actor is not None and not can_grant(actor, role=role, region=region):
        raise ValidationError(
            {
                "region": _("%(region)s is outside the regions you administer.")
                % {"region": region.name}
            }
        )
    mapping, _created = DirectoryGroupMapping.objects.get_or_create(
        group=group, region=region, role=role, defaults={"created_by": actor}
    )
    return mapping


@transaction.atomic
def group_mapping_remove(*, actor, mapping_id: int) -> None:
    mapping = DirectoryGroupMapping.objects.select_related("region").filter(pk=mapping_id).first()
    if mapping is None or (
        actor is not None and not can_grant(actor, role=mapping.role, region=mapping.region)
    ):
        raise Http404("No such mapping.")
    mapping.delete()
