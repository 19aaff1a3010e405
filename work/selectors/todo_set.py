"""The to-do selectors of work.selectors.todo for many people at once (send_reminders builds
every person's digest of a day; issue 25: 3,700 people at 8.8 queries each took 131 s).

Each list is read once for every region, by the very function the one-person selector calls
with that person's scope (``official_items_in``, ``_waiting``, ``unreported_units``,
``targets_needing_attention_in``, tasks.selectors.due), and each person's list is then the part
of it that lies in their subtrees, in the same order: every one of those lists is in an order
that does not depend on the scope (a sort on a key of the item, or the order of the query), so
the part of the whole is the list the person's own query returns. A bounded number of queries
whatever the number of people (tests/work/test_todo_set.py compares both ways).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import chain

from django.db.models import Q

from regions.selectors import RegionAccess, access_for
from tasks.selectors.access import task_access_for, task_accesses_load
from tasks.selectors.due import DueIndex, DueReport, reviewable_reports, submitted_reports
from work.selectors import todo


class SubtreeIndex:
    """Items in their order, found by the subtree they lie in: a person's part is read from
    the lists kept under each of their subtrees' paths, not by testing every item."""

    def __init__(self, items: Sequence, path_of: Callable[[object], str]):
        self.items = list(items)
        self._under: dict[str, list[int]] = defaultdict(list)
        for index, item in enumerate(self.items):
            parts = path_of(item).strip("/").split("/")
            for depth in range(len(parts)):
                self._under["/" + "/".join(parts[: depth + 1]) + "/"].append(index)

    def within(self, roots) -> list:
        """The items under any of ``roots`` (paths none of which lies under another, as
        ``RegionAccess`` keeps them), in the items' order."""
        if len(roots) == 1:
            (root,) = roots
            return [self.items[i] for i in self._under.get(root, ())]
        found = sorted(chain.from_iterable(self._under.get(r, ()) for r in roots))
        return [self.items[i] for i in found]


def _part(index: SubtreeIndex, access: RegionAccess, roots) -> list:
    return list(index.items) if access.everything else index.within(roots)


class TodoSet:
    """Every person's to-do lists of ``today``, read once for all of ``users`` (whose region
    and task access are loaded here, in three queries)."""

    def __init__(self, users, *, today: dt.date):
        self.today = today
        self.users = list(users)
        task_accesses_load(self.users)
        self._memo: dict[str, object] = {}

    def _once(self, name: str, compute):
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def official_items(self, user) -> list[todo.QuarterItem]:
        access = access_for(user)
        if access.everything or not access.enter:
            return []
        index = self._once(
            "official",
            lambda: SubtreeIndex(
                todo.official_items_in(Q(), Q(), today=self.today), lambda i: i.region.path
            ),
        )
        # official_items_in sorts on (urgency, quarter, region path): a key of each item.
        return index.within(access.enter)

    def submissions_waiting(self, user) -> list[todo.QuarterItem]:
        access = access_for(user)
        if not access.can_review_anything:
            return []
        index = self._once(
            "waiting",
            lambda: SubtreeIndex(todo._waiting(Q(), today=self.today), lambda i: i.region.path),
        )
        return _part(index, access, access.review)

    def late_units(self, user, *, scope: str = "review") -> list[todo.QuarterItem]:
        access = access_for(user)
        if scope == "review" and not access.can_review_anything:
            return []
        index = self._once(
            "late",
            lambda: SubtreeIndex(
                todo.unreported_units(
                    scope=Q(), period=todo.reporting_quarter(self.today), today=self.today
                ),
                lambda i: i.region.path,
            ),
        )
        return _part(index, access, access.review if scope == "review" else access.view)

    def targets_needing_attention(self, user) -> list:
        from indicators.pagecache import cached_value

        access = access_for(user)
        as_of = todo.reporting_quarter(self.today)

        def every_region():
            # Kept under the data version with the key of a superuser's home (the same list).
            return cached_value(
                "targets_needing_attention",
                ["*", as_of],
                lambda: todo.targets_needing_attention_in(Q(), as_of=as_of),
            )

        index = self._once(
            "targets", lambda: SubtreeIndex(every_region(), lambda row: row.target.region.path)
        )
        return _part(index, access, access.view)

    def task_reports_due(self, user) -> list[DueReport]:
        access = task_access_for(user)
        if not access.unit_ids:
            return []
        index = self._once(
            "due",
            lambda: DueIndex(
                set().union(*(task_access_for(u).unit_ids for u in self.users))
            ),
        )  # fmt: skip
        return index.due(access, self.today)

    def task_reports_awaiting_review(self, user) -> list:
        access = task_access_for(user)
        if not (access.everything or access.regions.can_review_anything):
            return []
        return reviewable_reports(self._once("submitted", submitted_reports), access)
