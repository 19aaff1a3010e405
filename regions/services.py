"""Writes to the region tree; the only code that sets ``Region.path`` and ``depth``."""

from __future__ import annotations

from django.db import transaction

from regions.models import PATH_SEP, Region


def _path_for(*, code: str, parent: Region | None) -> str:
    return (parent.path if parent else PATH_SEP) + code + PATH_SEP


@transaction.atomic
def region_save(*, region: Region) -> Region:
    """Create or update a region, keeping the materialized paths of it and its subtree right.

    A move (new parent) or a code change rewrites the paths of every descendant in one pass.
    """
    old_path = None
    if region.pk:
        old_path = Region.objects.filter(pk=region.pk).values_list("path", flat=True).first()
    if region.parent_id and region.pk:
        parent = Region.objects.get(pk=region.parent_id)
        if parent.path.startswith(old_path or "\0"):
            from django.core.exceptions import ValidationError

            raise ValidationError({"parent": "A region cannot be placed under its own subtree."})
    region.path = _path_for(code=region.code, parent=region.parent)
    region.depth = region.path.count(PATH_SEP) - 2
    region.full_clean()
    region.save()
    if old_path and old_path != region.path:
        descendants = Region.objects.filter(path__startswith=old_path).exclude(pk=region.pk)
        for child in descendants.order_by("depth"):
            child.path = region.path + child.path[len(old_path) :]
            child.depth = child.path.count(PATH_SEP) - 2
            child.save(update_fields=["path", "depth"])
    return region


def region_paths_rebuild() -> int:
    """Recompute every path from the parent links (after a raw fixture load); returns changes."""
    changed = 0
    regions = {r.pk: r for r in Region.objects.all()}
    memo: dict[int, str] = {}

    def path_of(r: Region) -> str:
        if r.pk not in memo:
            parent = regions.get(r.parent_id) if r.parent_id else None
            memo[r.pk] = (path_of(parent) if parent else PATH_SEP) + r.code + PATH_SEP
        return memo[r.pk]

    with transaction.atomic():
        for r in regions.values():
            p = path_of(r)
            if r.path != p:
                r.path, r.depth = p, p.count(PATH_SEP) - 2
                r.save(update_fields=["path", "depth"])
                changed += 1
    return changed
