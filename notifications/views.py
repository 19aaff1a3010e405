"""The notifications list (opening one marks it read and goes to the page to act on) and the
user's mail preferences. Writes call notifications.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notifications.forms import PreferenceForm
from notifications.models import Notification
from notifications.selectors import (
    notification_text,
    notification_url,
    notifications_for,
    preference_of,
)
from notifications.services import (
    notification_mark_read,
    notifications_mark_all_read,
    preference_update,
)


def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, unread ones marked."""
    page = Paginator(notifications_for(request.user), 30).get_page(request.GET.get("page"))
    rows = [{"n": n, "text": notification_text(n)} for n in page.object_list]
    return render(request, "notifications/list.html", {"page": page, "rows": rows})


@require_http_methods(["GET", "POST"])
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Go to the page where the notification's reader acts on it; a POST (the list's button)
    marks it read first. A GET changes nothing, so a cross-site image or link cannot mark
    anything read; the page it leads to marks its region-quarter's notices read when opened."""
    n = Notification.objects.select_related("region").filter(pk=pk, user=request.user).first()
    if n is None:
        raise Http404("No such notification.")
    if request.method == "POST":
        notification_mark_read(notification=n, user=request.user)
    return redirect(notification_url(n))


@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return redirect("notifications:list")


def preferences(request: HttpRequest) -> HttpResponse:
    """The user's email address, whether reminders are mailed, and in which language."""
    pref = preference_of(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                preference_update(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your preferences are saved."))
                return redirect("notifications:preferences")
    else:
        form = PreferenceForm(
            initial={
                "email": request.user.email,
                "email_enabled": pref.email_enabled,
                "language": pref.language,
            }
        )
    return render(request, "notifications/preferences.html", {"form": form})
