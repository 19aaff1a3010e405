"""What a person's reminder digest of one day says: reads only (work.selectors.todo), one
``Digest`` per user with the sections due that day; rendering is in mail.py, sending in
reminders.py.

Who is reminded of what (settings in ``CERTTRACK``, README). A section is sent when one of its
items is urgent, and then lists every item the to-do home lists in that section, in the home's
order (the mail and the home never disagree on what waits; issue 22.2):

* officials: when a quarter is returned to them, or a quarter not submitted is within
  ``REMIND_DAYS_BEFORE`` days of its last on-time day (or past it); the progress reports their
  units owe, when one is overdue or due within the same days;
* reviewers: when a submission (or progress report) has waited longer than
  ``REVIEW_WAIT_DAYS`` days since its current round was submitted; and late units of their
  regions that have no official (nobody else will be reminded);
* leaders: once a week (``LEADER_SUMMARY_WEEKDAY``), the targets behind, at risk or pending
  in their scope and the late units; a summary whose mail failed is sent again the next day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from notifications.models import SentMail
from regions.models import Membership
from work.selectors import todo
from work.selectors.todo_set import TodoSet

Role = Membership.Role

OFFICIAL, TASKS, REVIEW, NO_OFFICIAL, LEADER = (
    "official",
    "tasks",
    "review",
    "no_official",
    "leader",
)


@dataclass
class Digest:
    """One person's reminders of one day, by section (an empty digest is never sent)."""

    user: object
    day: dt.date
    official: list[todo.QuarterItem] = field(default_factory=list)
    tasks_due: list = field(default_factory=list)
    waiting: list[todo.QuarterItem] = field(default_factory=list)
    tasks_waiting: list = field(default_factory=list)
    no_official: list[todo.QuarterItem] = field(default_factory=list)
    targets: list = field(default_factory=list)
    late: list[todo.QuarterItem] = field(default_factory=list)
    leader_summary: bool = False

    @property
    def sections(self) -> list[str]:
        names = []
        if self.official:
            names.append(OFFICIAL)
        if self.tasks_due:
            names.append(TASKS)
        if self.waiting or self.tasks_waiting:
            names.append(REVIEW)
        if self.no_official:
            names.append(NO_OFFICIAL)
        if self.leader_summary:
            names.append(LEADER)
        return names

    @property
    def empty(self) -> bool:
        return not self.sections


def _cfg(name: str) -> int:
    return settings.CERTTRACK[name]


def leader_summary_due(user, day: dt.date) -> bool:
    """The weekly summary is due on the configured weekday, or on a later day of the week when
    the last one failed; never twice in seven days once delivered."""
    return _summary_due(_summaries_of_week([user.pk], day).get(user.pk, set()), day)


def _summaries_of_week(user_ids, day: dt.date) -> dict[int, set[str]]:
    """The statuses of the leaders' summaries mailed in the seven days before ``day``, by
    user (one query for everyone)."""
    out: dict[int, set[str]] = defaultdict(set)
    for user_id, status in SentMail.objects.filter(
        user_id__in=list(user_ids),
        day__gt=day - dt.timedelta(days=7),
        day__lt=day,
        sections__contains=LEADER,
    ).values_list("user_id", "status"):
        out[user_id].add(status)
    return out


def _summary_due(statuses: set[str], day: dt.date) -> bool:
    if SentMail.Status.SENT in statuses:
        return False
    return day.weekday() == _cfg("LEADER_SUMMARY_WEEKDAY") or SentMail.Status.FAILED in statuses


class _OnePerson:
    """The to-do selectors asked for one person (work.selectors.todo): the to-do home's reads."""

    def __init__(self, day: dt.date):
        self.day = day

    def official_items(self, user):
        return todo.official_items(user, today=self.day)

    def task_reports_due(self, user):
        return todo.task_reports_due(user, self.day)

    def submissions_waiting(self, user):
        return todo.submissions_waiting(user, today=self.day)

    def task_reports_awaiting_review(self, user):
        return todo.task_reports_awaiting_review(user)

    def late_units(self, user, *, scope: str = "review"):
        return todo.late_units(user, today=self.day, scope=scope)

    def targets_needing_attention(self, user):
        return todo.targets_needing_attention(user, today=self.day)

    def leader_summary_due(self, user) -> bool:
        return leader_summary_due(user, self.day)


class _Everyone(TodoSet):
    """The same reads for many people at once (work.selectors.todo_set)."""

    def __init__(self, users, *, today: dt.date):
        super().__init__(users, today=today)
        self._week = None

    def leader_summary_due(self, user) -> bool:
        if self._week is None:
            self._week = _summaries_of_week([u.pk for u in self.users], self.today)
        return _summary_due(self._week.get(user.pk, set()), self.today)


def digest_for(user, *, day: dt.date) -> Digest:
    """The reminders due to ``user`` on ``day`` (see the module's opening)."""
    return _digest(user, day=day, reads=_OnePerson(day))


def digests_for(users, *, day: dt.date) -> dict[int, Digest]:
    """:func:`digest_for` of each of ``users``, by user id: each list read once for everyone
    and divided among them (work.selectors.todo_set), a bounded number of queries whatever
    the number of people (send_reminders)."""
    users = list(users)
    reads = _Everyone(users, today=day)
    return {user.pk: _digest(user, day=day, reads=reads) for user in users}


def _digest(user, *, day: dt.date, reads) -> Digest:
    before = _cfg("REMIND_DAYS_BEFORE")
    wait = _cfg("REVIEW_WAIT_DAYS")
    roles = todo.roles_of(user)
    digest = Digest(user=user, day=day)
    if Role.OFFICIAL in roles:
        items = reads.official_items(user)
        if any(i.status == "returned" or i.days_left <= before for i in items):
            digest.official = items  # the home's list, in its order
    due = reads.task_reports_due(user)
    if any(d.overdue or d.days_left(day) <= before for d in due):
        digest.tasks_due = due
    if Role.REVIEWER in roles:
        waiting = reads.submissions_waiting(user)
        tasks_waiting = reads.task_reports_awaiting_review(user)
        if any((i.waited_days or 0) > wait for i in waiting) or any(
            r.submitted_at and (day - timezone.localdate(r.submitted_at)).days > wait
            for r in tasks_waiting
        ):
            digest.waiting, digest.tasks_waiting = waiting, tasks_waiting
        digest.no_official = [i for i in reads.late_units(user) if i.overdue and not i.has_official]
    if Role.LEADER in roles and reads.leader_summary_due(user):
        digest.targets = reads.targets_needing_attention(user)
        digest.late = [i for i in reads.late_units(user, scope="view") if i.overdue]
        digest.leader_summary = bool(digest.targets or digest.late)
    return digest


def people_to_remind():
    """Active users with a role in a region or a unit (the only ones with anything due)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(memberships__isnull=False) | Q(unit_memberships__isnull=False))
        .distinct()
        .order_by("username")
    )
