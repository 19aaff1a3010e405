"""Which accounts a user administrator (用户管理员) may see and change, and what they may grant.

The one place that decides it; every page, export and service of accounts/ asks here.

A superuser manages every account. A user administrator of region R manages an account when

* the account is not a superuser nor staff, and is not the administrator's own;
* everything that places the account lies in R's subtree (its profile's region, the regions of
  its memberships, the regions of its units), and at least one thing places it;
* it is not a user administrator at R's level or above (only strictly below R).

and grants a role at a region of R's subtree, a user administrator's role only strictly below R.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from accounts.models import AccountEvent
from regions.models import Membership, Region
from regions.selectors import _subtree_q, access_for
from tasks.models import Unit, UnitMembership

Role = Membership.Role


def _admin_paths(admin) -> frozenset[str] | None:
    """The subtrees ``admin`` administers; None for everything (a superuser)."""
    access = access_for(admin)
    if access.everything:
        return None
    return access.users


def accounts_managed_by(admin) -> QuerySet:
    """The accounts ``admin`` may see and change (module docstring), with profile selected."""
    User = get_user_model()
    users = User.objects.select_related("profile")
    paths = _admin_paths(admin)
    if paths is None:
        return users.exclude(pk=admin.pk)  # one's own account: never from these pages
    if not paths:
        return users.none()
    inside = _subtree_q(paths, "region__")
    memberships = Membership.objects.filter(user=OuterRef("pk"))
    units = UnitMembership.objects.filter(user=OuterRef("pk"))
    unit_inside = _subtree_q(paths, "unit__region__")
    placed = Q(profile__region__isnull=False) | Exists(memberships) | Exists(units)
    outside = (
        (Q(profile__region__isnull=False) & ~_subtree_q(paths, "profile__region__"))
        | Exists(memberships.exclude(inside))
        | Exists(units.exclude(unit_inside))
        # A user administrator at the administrator's own level or above.
        | Exists(memberships.filter(role=Role.USER_ADMIN, region__path__in=paths))
    )
    return (
        users.filter(is_superuser=False, is_staff=False)
        .exclude(pk=admin.pk)
        .filter(placed)
        .exclude(outside)
    )


def account_for(admin, pk: int):
    """The account ``pk`` if ``admin`` manages it, else 404 (never says whether it exists)."""
    account = accounts_managed_by(admin).filter(pk=pk).first()
    if account is None:
        raise Http404("No such account.")
    return account


def can_administer_users(user) -> bool:
    """Whether ``user`` has the user pages at all (a superuser or a user administrator)."""
    return access_for(user).can_administer_users_anywhere


def regions_grantable_by(admin) -> QuerySet[Region]:
    """The active regions where ``admin`` may place accounts and grant roles (the subtrees)."""
    paths = _admin_paths(admin)
    regions = Region.objects.filter(active=True)
    if paths is None:
        return regions
    return regions.filter(_subtree_q(paths))


def units_grantable_by(admin) -> QuerySet[Unit]:
    """The units whose region lies in ``admin``'s subtrees (an account may be made for them)."""
    paths = _admin_paths(admin)
    units = Unit.objects.select_related("region").exclude(kind=Unit.Kind.COLLECTIVE)
    if paths is None:
        return units
    return units.filter(_subtree_q(paths, "region__"))


def can_grant(admin, *, role: str, region: Region) -> bool:
    """Whether ``admin`` may give an account ``role`` at ``region`` (module docstring)."""
    paths = _admin_paths(admin)
    if paths is None:
        return True
    within = [p for p in paths if region.path.startswith(p)]
    if not within:
        return False
    if role == Role.USER_ADMIN:
        return any(region.path != p for p in within)
    return True


def roles_grantable_by(admin) -> list[tuple[str, str]]:
    """The roles ``admin`` may grant somewhere (choices for a form)."""
    return list(Role.choices)


def account_events(account) -> QuerySet[AccountEvent]:
    """An account's changes, newest first, with the person who made each."""
    return AccountEvent.objects.filter(account=account).select_related("actor", "actor__profile")


def has_any_role(user) -> bool:
    """Whether ``user`` may do anything here: a superuser, a membership, or a unit."""
    if user.is_superuser:
        return True
    return (
        Membership.objects.filter(user=user, region__active=True).exists()
        or UnitMembership.objects.filter(user=user).exists()
    )


def landing_url(user, default: str) -> str:
    """Where a sign-in lands: ``default``, or the page that says whom to ask for a role."""
    from django.urls import reverse

    return default if has_any_role(user) else reverse("accounts:no_role")


def user_administrators_to_ask(limit: int = 10) -> list:
    """Whom a person without a role asks: the active user administrators, highest regions
    first, else the superusers."""
    User = get_user_model()
    memberships = list(
        Membership.objects.filter(role=Role.USER_ADMIN, user__is_active=True, region__active=True)
        .select_related("user", "user__profile", "region")
        .order_by("region__depth", "region__path", "user__username")[:limit]
    )
    if memberships:
        return [(m.user, m.region) for m in memberships]
    admins = User.objects.filter(is_superuser=True, is_active=True).select_related("profile")
    return [(u, None) for u in admins.order_by("username")[:limit]]
