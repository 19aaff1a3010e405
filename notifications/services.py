"""Writes of notifications: created in the transaction of the workflow service that causes them
(indicators.services), marked read when opened; and the user's preferences."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.bulk import insert_rows
from indicators.periods import Quarter
from notifications.models import Notification, Preference
from regions.models import Membership, Region

K = Notification.Kind
CONFIRM_SALT = "certtrack.notifications.email-confirm"
Role = Membership.Role

# Who hears of a change: the officials of the region for a reviewer's decision, the reviewers
# for an official's submission or withdrawal.
_AUDIENCE = {
    K.RETURNED: Role.OFFICIAL,
    K.APPROVED: Role.OFFICIAL,
    K.REOPENED: Role.OFFICIAL,
    K.SUBMITTED: Role.REVIEWER,
    K.WITHDRAWN: Role.REVIEWER,
}


def _audience(region: Region, role: str, extra_ids=()) -> set[int]:
    """Users holding ``role`` on the region or an ancestor (their scope covers it)."""
    ids = set(
        Membership.objects.filter(
            role=role,
            region__path__in=_ancestor_paths(region),
            region__active=True,
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )
    return ids | {i for i in extra_ids if i is not None}


def notifications_create(
    *,
    kind: str,
    region: Region,
    period: Quarter,
    actor,
    comment: str = "",
    also_user_ids=(),
) -> list[Notification]:
    """Tell everyone concerned by a change of ``region``'s ``period`` (never its actor)."""
    ids = _audience(region, _AUDIENCE[K(kind)], also_user_ids)
    ids.discard(getattr(actor, "pk", None))
    if not ids:
        return []
    now = timezone.now()
    active = set(
        get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True)
    )
    return Notification.objects.bulk_create(
        _rows(
            active, kind=kind, region=region, period=period, actor=actor, comment=comment, now=now
        )
    )


def _rows(user_ids, *, kind, region, period, actor, now, comment="") -> list[Notification]:
    """One unsaved notice per user (in id order) about ``region``'s ``period``."""
    return [
        Notification(
            user_id=uid,
            kind=kind,
            region=region,
            year=period.year,
            quarter=period.quarter,
            actor=actor,
            comment=comment,
            created_at=now,
        )
        for uid in sorted(user_ids)
    ]


def notifications_create_many(
    *, kind: str, subjects: list[tuple[Region, Quarter]], actor
) -> list[SimpleNamespace]:
    """:func:`notifications_create` for many region-quarters at once (an Excel import): two
    queries whatever their number. The notices are written as plain rows
    (``indicators.bulk.insert_rows``: COPY on PostgreSQL; an import of 10,000 region-quarters
    tells 30,000 notices, 7 s through ``bulk_create``) and returned as such, without ids."""
    if not subjects:
        return []
    role = _AUDIENCE[K(kind)]
    wanted = {path for region, _period in subjects for path in _ancestor_paths(region)}
    holders: dict[str, set[int]] = defaultdict(set)
    for user_id, path in Membership.objects.filter(
        role=role, region__path__in=sorted(wanted), region__active=True, user__is_active=True
    ).values_list("user_id", "region__path"):
        holders[path].add(user_id)
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    rows = []
    for region, period in subjects:
        ids = set().union(*(holders.get(p, ()) for p in _ancestor_paths(region)))
        ids.discard(actor_id)
        rows += [
            SimpleNamespace(
                user_id=uid,
                kind=kind,
                region_id=region.pk,
                year=period.year,
                quarter=period.quarter,
                actor_id=actor_id,
                comment="",
                created_at=now,
                read_at=None,
            )
            for uid in sorted(ids)
        ]
    insert_rows(Notification, rows)
    return rows


def _ancestor_paths(region: Region) -> list[str]:
    """The paths of ``region`` and of every region above it."""
    return [region.path[: i + 1] for i, ch in enumerate(region.path) if ch == "/" and i > 0]


def notifications_settle(*, kind: str, region: Region, period: Quarter) -> int:
    """Mark read every unread ``kind`` notice of the region-quarter: what they asked for is
    done (a reviewer decided on the submission, or the official withdrew it)."""
    return Notification.objects.filter(
        kind=kind,
        region=region,
        year=period.year,
        quarter=period.quarter,
        read_at__isnull=True,
    ).update(read_at=timezone.now())


def notification_mark_read(*, notification: Notification, user) -> None:
    """Mark the user's own notification read (a no-op when it already is)."""
    if notification.user_id != user.pk or notification.read_at is not None:
        return
    notification.read_at = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=notification.read_at
    )


def notifications_read_for(*, user, region: Region, period: Quarter) -> int:
    """Mark read the user's notices about a region-quarter: they opened its page."""
    return Notification.objects.filter(
        user=user,
        region=region,
        year=period.year,
        quarter=period.quarter,
        read_at__isnull=True,
    ).update(read_at=timezone.now())


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preference_record_visit(
    *, user, language: str, now: dt.datetime
) -> tuple[dt.datetime | None, int | None]:
    """Record a visit of the to-do home (and the language in use, for mails); return the
    previous visit's time and the last target id then known (None, None on a first visit)."""
    from work.selectors.todo import latest_target_id

    pref, created = Preference.objects.select_for_update().get_or_create(user=user)
    previous = (
        (None, None)
        if created or pref.seen_until is None
        else (
            pref.seen_until,
            pref.seen_target_id,
        )
    )
    pref.seen_until = now
    pref.seen_target_id = latest_target_id()
    if language:
        pref.last_language = language
    pref.save()
    return previous


@transaction.atomic
def preference_update(*, user, email: str, email_enabled: bool, language: str) -> Preference:
    """Change the user's address, whether they get mail, and the language of their mails.

    A new address is the user's at once but gets no mail until proven: the caller sends the
    confirmation link (:func:`email_confirmation_send`) when ``pref.email_confirmed`` is not
    the address (:func:`notifications.selectors.needs_confirmation`). An address another user
    has confirmed is refused.
    """
    email = email.strip()
    pref, _ = Preference.objects.select_for_update().get_or_create(user=user)
    if email and email.lower() != pref.email_confirmed.lower():
        try:
            _check_not_proven_by_another(user=user, address=email)
        except ValidationError as exc:
            raise ValidationError({"email": exc}) from exc
    user.email = email
    user.full_clean(validate_unique=False, exclude=["password"])
    user.save(update_fields=["email"])
    if not email:
        pref.email_confirmed = ""
    pref.email_enabled = email_enabled
    pref.language = language
    pref.full_clean(validate_constraints=False)
    pref.save()
    user.preference = pref  # what preference_of(user) reads from now on
    return pref


def _check_not_proven_by_another(*, user, address: str) -> None:
    taken = (
        Preference.objects.filter(email_confirmed__iexact=address.strip())
        .exclude(user_id=user.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            _("This address is already confirmed by another user; use your own."), code="taken"
        )


def email_confirmation_token(*, user, address: str) -> str:
    """A signed, timestamped token naming the user and the address (no database row)."""
    return signing.dumps({"u": user.pk, "e": address.strip().lower()}, salt=CONFIRM_SALT)


def email_confirmation_send(*, user, connection=None) -> None:
    """Mail the confirmation link of the user's current address to that address (raises what
    the mail server raises)."""
    from notifications.mail import confirmation_message

    token = email_confirmation_token(user=user, address=user.email)
    confirmation_message(user=user, token=token, connection=connection).send()


def email_confirmation_check(*, user, token: str) -> str:
    """The address a token proves for ``user``; ValidationError when it is forged, expired,
    another user's, or for an address the user no longer has."""
    max_age = settings.CERTTRACK["EMAIL_CONFIRM_DAYS"] * 24 * 3600
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("This confirmation link has expired; save your address again for a new one."),
            code="expired",
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This confirmation link is not valid."), code="invalid") from exc
    if not isinstance(data, dict) or data.get("u") != user.pk:
        raise ValidationError(_("This confirmation link is not valid."), code="invalid")
    if data.get("e") != (user.email or "").strip().lower():
        raise ValidationError(
            _("This link confirms an address that is no longer yours in CertTrack."),
            code="stale",
        )
    return user.email


@transaction.atomic
def email_confirm(*, user, token: str) -> Preference:
    """Mark the user's address proven by the link's ``token`` (see
    :func:`email_confirmation_check`); refused when another user proved it meanwhile."""
    address = email_confirmation_check(user=user, token=token)
    pref, _ = Preference.objects.select_for_update().get_or_create(user=user)
    _check_not_proven_by_another(user=user, address=address)
    pref.email_confirmed = address
    try:
        with transaction.atomic():
            pref.save(update_fields=["email_confirmed"])
    except IntegrityError as exc:  # confirmed by another user in between
        raise ValidationError(
            _("This address is already confirmed by another user; use your own."), code="taken"
        ) from exc
    user.preference = pref
    return pref
