"""Password reset by mail: offered only where mail can be sent, throttled, in CertTrack's pages.

Without ``EMAIL_HOST`` (the default: most intranet installs have no mail relay) the reset is not
offered: the login page has no link and the reset URLs answer 404; an administrator sets a new
password in the admin. With it, a user asks for a link at ``/accounts/password_reset/``; a mail
that cannot be sent is said so on the page (never a "sent" page), and requests are throttled per
client address and per mail address (``CERTTRACK_PASSWORD_RESET_PER_HOUR``). docs/deploy.md.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.http import Http404
from django.template import loader
from django.urls import path, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _

from certtrack.security import client_ip

log = logging.getLogger(__name__)


def password_reset_enabled() -> bool:
    """Mail is configured (``EMAIL_HOST``) and the reset is not switched off."""
    return bool(settings.EMAIL_HOST) and settings.CERTTRACK_PASSWORD_RESET


class MailNotSent(Exception):
    """The mail server refused or could not be reached."""


class CertTrackPasswordResetForm(PasswordResetForm):
    """Django's form, except that a mail that cannot be sent is an error, not a log line, and
    that the link goes only to an address its user has confirmed (issue 24.5)."""

    def get_users(self, email):
        from notifications.selectors import mail_address

        return (user for user in super().get_users(email) if mail_address(user))

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        try:
            EmailMultiAlternatives(subject, body, from_email, [to_email]).send()
        except Exception as exc:  # SMTP errors, refused connections, timeouts
            log.warning("password reset mail to user %s not sent: %s", context["user"].pk, exc)
            raise MailNotSent from exc


def _throttled(request, email: str) -> bool:
    """True once this address or this mail address has asked too often in the last hour."""
    limit = settings.CERTTRACK_PASSWORD_RESET_PER_HOUR
    keys = [
        "pwreset-ip:" + str(client_ip(request)),
        "pwreset-mail:" + hashlib.sha256(email.strip().lower().encode()).hexdigest(),
    ]
    over = False
    for key in keys:
        cache.add(key, 0, timeout=3600)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=3600)
            count = 1
        over = over or count > limit
    return over


class _Enabled:
    def dispatch(self, request, *args, **kwargs):
        if not password_reset_enabled():
            raise Http404(_("Password reset by mail is not offered here."))
        return super().dispatch(request, *args, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(_Enabled, auth_views.PasswordResetView):
    form_class = CertTrackPasswordResetForm
    template_name = "registration/reset_form.html"
    email_template_name = "registration/reset_email.txt"
    subject_template_name = "registration/reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        if _throttled(self.request, form.cleaned_data["email"]):
            form.add_error(None, _("Too many requests for a new password. Try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        try:
            return super().form_valid(form)
        except MailNotSent:
            form.add_error(
                None,
                _(
                    "The mail could not be sent. Try again later, or ask your administrator "
                    "to set a new password."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=503)


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(_Enabled, auth_views.PasswordResetDoneView):
    template_name = "registration/reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(_Enabled, auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(_Enabled, auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"


urlpatterns = [
    path("password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password_reset/done/", PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
