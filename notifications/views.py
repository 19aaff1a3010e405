"""The notifications list (opening one marks it read and goes to the page to act on) and the
user's mail preferences. Writes call notifications.services."""

from __future__ import annotations

import logging

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
    needs_confirmation,
    notification_text,
    notification_url,
    notifications_for,
    preference_of,
)
from notifications.services import (
    email_confirm,
    email_confirmation_check,
    email_confirmation_send,
    notification_mark_read,
    notifications_mark_all_read,
    preference_update,
)

log = logging.getLogger(__name__)


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
    """The user's email address, whether reminders are mailed, and in which language. A new
    address gets a confirmation link and no other mail until it is opened."""
    pref = preference_of(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            before = request.user.email
            try:
                preference_update(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                request.user.email = before
                form.add_error(None, exc)
            else:
                changed = request.user.email.lower() != (before or "").strip().lower()
                if needs_confirmation(request.user) and (changed or "resend" in request.POST):
                    _send_confirmation(request)
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
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "unconfirmed": needs_confirmation(request.user)},
    )


def _send_confirmation(request: HttpRequest) -> None:
    try:
        email_confirmation_send(user=request.user)
    except Exception:  # SMTP errors, refused connections, timeouts  # noqa: BLE001
        log.warning("confirmation mail to user %s not sent", request.user.pk, exc_info=True)
        messages.error(
            request,
            _(
                "Your preferences are saved, but the confirmation mail to %(address)s could "
                "not be sent; try again later."
            )
            % {"address": request.user.email},
        )
    else:
        messages.success(
            request,
            _(
                "Your preferences are saved. A confirmation link was sent to %(address)s; "
                "no mail goes there until you open it."
            )
            % {"address": request.user.email},
        )


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """The page a confirmation link opens: a GET shows the address and a button (it changes
    nothing: a mail scanner may follow links); the POST confirms it."""
    error = ""
    try:
        address = email_confirmation_check(user=request.user, token=token)
    except ValidationError as exc:
        address, error = "", " ".join(exc.messages)
    if request.method == "POST" and not error:
        try:
            email_confirm(user=request.user, token=token)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("%(address)s is confirmed: CertTrack's mails go there.") % {"address": address},
            )
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/confirm_email.html",
        {"address": address, "error": error},
        status=400 if error else 200,
    )
