"""Read side of regions: subtrees, and the one place that answers what a user may see or change.

Every view, export and JSON endpoint asks :func:`access_for` (or the queryset helpers built on
it); nothing else decides permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from regions.models import Membership, Region

Role = Membership.Role


def _subtree_q(paths: frozenset[str] | tuple[str, ...], prefix: str = "") -> Q:
    """A Q matching every region under any of ``paths`` (one OR of prefix tests)."""
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}path__startswith": p}) for p in sorted(paths)))


def _roots(paths: set[str]) -> frozenset[str]:
    """Drop paths that already lie under another path of the set."""
    return frozenset(p for p in paths if not any(p != q and p.startswith(q) for q in paths))


@dataclass(frozen=True)
class RegionAccess:
    """The subtrees (as path prefixes) a user may see, enter counts for, review, and whose
    targets the user may allocate to divisions ("manage targets", 目标分解).

    A superuser sees and may do everything (``everything=True``).
    """

    everything: bool
    view: frozenset[str]
    enter: frozenset[str]
    review: frozenset[str]
    manage: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()
    # The roles the user holds somewhere (read with the paths: the to-do home and the digests
    # ask for them on every visit and for every person).
    roles: frozenset[str] = frozenset()

    def _within(self, paths: frozenset[str], region: Region) -> bool:
        return self.everything or any(region.path.startswith(p) for p in paths)

    def can_view(self, region: Region) -> bool:
        return self._within(self.view, region)

    def can_enter(self, region: Region) -> bool:
        return self._within(self.enter, region)

    def can_review(self, region: Region) -> bool:
        return self._within(self.review, region)

    def can_manage_targets(self, region: Region) -> bool:
        """May allocate the targets of ``region`` to its divisions (a target manager of the
        region or of a region above it; an administrator)."""
        return self._within(self.manage, region)

    def can_administer_users(self, region: Region) -> bool:
        """May manage the accounts of ``region`` (a user administrator of it or above it)."""
        return self._within(self.users, region)

    @property
    def can_administer_users_anywhere(self) -> bool:
        return self.everything or bool(self.users)

    @property
    def can_enter_anything(self) -> bool:
        return self.everything or bool(self.enter)

    @property
    def can_review_anything(self) -> bool:
        return self.everything or bool(self.review)

    def visible_q(self, prefix: str = "") -> Q:
        """A Q over regions (or over a relation to them, with ``prefix='region__'``)."""
        return Q() if self.everything else _subtree_q(self.view, prefix)

    def enter_q(self, prefix: str = "") -> Q:
        return Q() if self.everything else _subtree_q(self.enter, prefix)

    def review_q(self, prefix: str = "") -> Q:
        return Q() if self.everything else _subtree_q(self.review, prefix)


def access_for(user) -> RegionAccess:
    """What ``user`` may see and change; one query, cached on the user object for the request.

    Every role sees its region's subtree; officials also enter counts there, reviewers also
    approve, return and reopen there, target managers allocate targets there, user
    administrators manage the accounts there (accounts.selectors). Leaders and analysts only read.
    """
    cached = getattr(user, "_certtrack_access", None)
    if cached is not None:
        return cached
    rows = None
    if getattr(user, "is_authenticated", False) and user.is_active and not user.is_superuser:
        rows = list(
            Membership.objects.filter(user=user, region__active=True).values_list(
                "role", "region__path"
            )
        )
    return _keep(user, _access(user, rows))


def accesses_load(users) -> None:
    """:func:`access_for` of many users at once (one query for all, not one a person): each
    user object keeps its access, as :func:`access_for` keeps it (send_reminders reads
    thousands of people's scopes)."""
    users = [u for u in users if getattr(u, "_certtrack_access", None) is None]
    rows: dict[int, list[tuple[str, str]]] = {u.pk: [] for u in users}
    for user_id, role, path in Membership.objects.filter(
        user_id__in=list(rows), region__active=True
    ).values_list("user_id", "role", "region__path"):
        rows[user_id].append((role, path))
    for user in users:
        _keep(user, _access(user, rows[user.pk]))


def _access(user, rows: list[tuple[str, str]] | None) -> RegionAccess:
    """The access of ``user`` from their memberships' (role, region path) rows."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return RegionAccess(False, frozenset(), frozenset(), frozenset())
    if user.is_superuser:
        return RegionAccess(True, frozenset(), frozenset(), frozenset())
    view = {path for _, path in rows}
    enter = {path for role, path in rows if role == Role.OFFICIAL}
    review = {path for role, path in rows if role == Role.REVIEWER}
    manage = {path for role, path in rows if role == Role.TARGET_MANAGER}
    users = {path for role, path in rows if role == Role.USER_ADMIN}
    return RegionAccess(
        False,
        _roots(view),
        _roots(enter),
        _roots(review),
        _roots(manage),
        _roots(users),
        roles=frozenset(role for role, _ in rows),
    )


def _keep(user, access: RegionAccess) -> RegionAccess:
    try:
        user._certtrack_access = access
    except AttributeError:  # AnonymousUser tolerates it too, but be safe
        pass
    return access


def regions_visible_to(user) -> QuerySet[Region]:
    """Active regions in the subtrees of the user's memberships (all of them for a superuser)."""
    return Region.objects.filter(active=True).filter(access_for(user).visible_q())


def regions_enterable_by(user) -> QuerySet[Region]:
    """Active regions for which the user may enter quarterly counts (officials' subtrees)."""
    access = access_for(user)
    if not access.can_enter_anything:
        return Region.objects.none()
    return Region.objects.filter(active=True).filter(access.enter_q())


def regions_reviewable_by(user) -> QuerySet[Region]:
    """Active regions whose counts the user may approve, return or reopen (reviewers' subtrees)."""
    access = access_for(user)
    if not access.can_review_anything:
        return Region.objects.none()
    return Region.objects.filter(active=True).filter(access.review_q())


def root_regions_for(user) -> list[Region]:
    """The top regions of the user's scope (Gansu and Beihai for the demo analyst)."""
    access = access_for(user)
    if access.everything:
        return list(Region.objects.filter(parent__isnull=True, active=True))
    return list(Region.objects.filter(path__in=access.view, active=True))


def region_subtree(region: Region, *, include_self: bool = True) -> QuerySet[Region]:
    """The region and every region below it, any depth, in one query (materialized path)."""
    qs = Region.objects.filter(path__startswith=region.path, active=True)
    return qs if include_self else qs.exclude(pk=region.pk)


def region_ancestors(region: Region) -> list[Region]:
    """From the root down to the parent, in order; one query."""
    codes = region.ancestor_codes()
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]
