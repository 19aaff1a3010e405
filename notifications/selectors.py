"""Reads of notifications: the unread count of the header, a user's list, each one's wording and
the page it opens (the reader's language, at the moment it is shown or mailed)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from notifications.models import Notification, Preference
from regions.people import display_name
from work.selectors.todo import entry_url, review_url

K = Notification.Kind

_OFFICIAL_KINDS = (K.RETURNED, K.APPROVED, K.REOPENED)


def unread_count(user) -> int:
    """How many of the user's notifications are unread (one query)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_for(user) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).select_related(
        "region", "actor", "actor__profile"
    )


def unread_for(user) -> list[Notification]:
    return list(notifications_for(user).filter(read_at__isnull=True))


def notification_url(n: Notification) -> str:
    """The page to act on: the entry form for an official, the review page for a reviewer."""
    if n.kind in _OFFICIAL_KINDS:
        return entry_url(n.region, n.period)
    return review_url(n.region, n.period)


def notification_text(n: Notification) -> str:
    """One sentence saying what happened, in the active language."""
    who = display_name(n.actor) if n.actor else _("someone")
    params = {"region": n.region.name, "period": n.period, "who": who}
    texts = {
        K.RETURNED: _("%(region)s %(period)s was returned by %(who)s."),
        K.APPROVED: _("%(region)s %(period)s was approved by %(who)s."),
        K.REOPENED: _("%(region)s %(period)s was reopened by %(who)s."),
        K.SUBMITTED: _("%(region)s %(period)s was submitted by %(who)s and waits for review."),
        K.WITHDRAWN: _("%(region)s %(period)s was withdrawn by %(who)s."),
    }
    return texts[K(n.kind)] % params


def preference_of(user) -> Preference:
    """The user's preference (an unsaved default one if none is stored yet)."""
    try:
        return user.preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def mail_address(user) -> str:
    """The address mail may go to: the user's, once its confirmation link was opened (compared
    without case); "" otherwise. Digests and password resets go nowhere else."""
    email = (user.email or "").strip()
    confirmed = preference_of(user).email_confirmed.strip()
    return email if email and email.lower() == confirmed.lower() else ""


def needs_confirmation(user) -> bool:
    """The user has an address that is not confirmed yet."""
    return bool((user.email or "").strip()) and not mail_address(user)
