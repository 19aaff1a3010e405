"""What base.html shows of the to-do on every page: the reviewer's badge, the unread count."""

from __future__ import annotations

from notifications.selectors import unread_count
from work.selectors.todo import waiting_count


def work(request):
    """The reviewer's count of submissions waiting and the unread notifications, once per
    request (every django-tables2 table renders the context processors again)."""
    cached = getattr(request, "_work_context", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    context = {"review_waiting_count": 0, "unread_notifications": 0}
    if user is not None and user.is_authenticated:
        context = {
            "review_waiting_count": waiting_count(user, request=request),
            "unread_notifications": unread_count(user),
        }
    request._work_context = context
    return context
