"""The to-do home: what waits for the signed-in user, by role, from work.selectors.todo.

The analyst's "since your last visit" is the previous session's: the first home of a session
records the visit (notifications.services.preference_record_visit) and keeps the earlier one
in the session, so reloading the page does not empty the list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from notifications.services import preference_record_visit
from tasks.models import Unit
from tasks.selectors.access import task_access_for
from work.selectors.todo import todo_for

SESSION_KEY = "work_previous_visit"

# The home shows the first items of each kind with their total and a link to the whole list
# (paginated): a national reviewer's or leader's home would otherwise list thousands of items
# (issue 25: 565 KB and 880 ms for a national leader).
HOME_ITEMS = 10
LIST_PAGE_SIZE = 50
# The kinds of item (attributes of work.selectors.todo.Todo) that have a full list.
KINDS = (
    "official",
    "waiting_mine",
    "tasks_due",
    "waiting",
    "tasks_to_review",
    "late",
    "targets",
    "scope_late",
    "approvals",
    "new_targets",
)


@dataclass(frozen=True)
class Shown:
    """The first items of one kind on the home, with how many there are in all."""

    kind: str
    items: list
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.items)

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _previous_visit(request: HttpRequest) -> tuple[dt.datetime | None, int | None]:
    stored = request.session.get(SESSION_KEY)
    if stored is None:
        since, target_id = preference_record_visit(
            user=request.user,
            language=getattr(request, "LANGUAGE_CODE", ""),
            now=timezone.now(),
        )
        stored = {"since": since.isoformat() if since else None, "target_id": target_id}
        request.session[SESSION_KEY] = stored
    since = parse_datetime(stored["since"]) if stored.get("since") else None
    return since, stored.get("target_id")


def _todo(request: HttpRequest, limit: int | None = None):
    since, target_id = _previous_visit(request)
    todo = todo_for(
        request.user,
        today=timezone.localdate(),
        since=since,
        seen_target_id=target_id,
        limit=limit,
    )
    return todo, since


def home(request: HttpRequest) -> HttpResponse:
    """Each role's to-do, most urgent first, the first :data:`HOME_ITEMS` of each kind with
    their total and a link to the whole list; the overview is one click away. A member of a
    unit (a department reporting on the plans' tasks) without a region role: its unit's tasks
    are its home; several units are listed."""
    todo, since = _todo(request, limit=HOME_ITEMS)
    units = []
    if not todo.roles:
        units = list(
            Unit.objects.filter(pk__in=task_access_for(request.user).unit_ids).order_by(
                "sort_order", "code"
            )
        )
        if len(units) == 1:
            return redirect("tasks:unit", units[0].pk)
    for kind in KINDS:
        items = getattr(todo, kind)
        setattr(todo, kind, Shown(kind, items[:HOME_ITEMS], todo.total(kind)))
    return render(request, "work/home.html", {"todo": todo, "since": since, "units": units})


def todo_list(request: HttpRequest, kind: str) -> HttpResponse:
    """Every item of one kind of the user's to-do, :data:`LIST_PAGE_SIZE` a page."""
    if kind not in KINDS:
        raise Http404
    todo, since = _todo(request)
    page = Paginator(getattr(todo, kind), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "work/list.html",
        {"todo": todo, "kind": kind, "page_obj": page, "items": page.object_list, "since": since},
    )


class SignInView(LoginView):
    """Sign-in that lands on the to-do home: also when the sign-in was asked for by opening the
    site's root (``?next=/``), where the overview would otherwise come first."""

    redirect_authenticated_user = True

    def get_redirect_url(self):
        url = super().get_redirect_url()
        return "" if url == reverse("indicators:overview") else url

    def get_success_url(self):
        # Someone without any role (a directory account whose groups map to none) lands on
        # the page that says whom to ask (accounts.selectors.landing_url).
        from accounts.selectors import landing_url

        return landing_url(self.request.user, super().get_success_url())
