"""Demo data of the notifications app (``seed_demo``): an example address for every demo user,
and the notifications the demo's workflow states would have created (Lanzhou's quarter returned
to its official, the submissions waiting for the reviewers)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from indicators.models import QuarterlyCount
from notifications.models import Notification, Preference

S = QuarterlyCount.Status
EMAIL_DOMAIN = "example.org"  # reserved for examples (RFC 2606): no demo mail reaches anyone


def seed(*, usernames: list[str]) -> None:
    """Give each demo user ``<username>@example.org`` (confirmed) and rebuild their notifications from
    the demo counts' states (idempotent: the demo users' notifications are replaced)."""
    from notifications.services import notifications_create

    users = list(get_user_model().objects.filter(username__in=usernames))
    for user in users:
        user.email = f"{user.username}@{EMAIL_DOMAIN}"
        user.save(update_fields=["email"])
        # example.org reaches no one: the demo's addresses count as confirmed (docs/deploy.md)
        Preference.objects.update_or_create(user=user, defaults={"email_confirmed": user.email})
    Notification.objects.filter(user__in=users).delete()
    seen = set()
    demo = (
        QuarterlyCount.objects.filter(is_demo=True, status__in=[S.SUBMITTED, S.RETURNED])
        .select_related("region", "entered_by", "reviewed_by")
        .order_by("region__path", "year", "quarter")
    )
    for count in demo:
        key = (count.region_id, count.period)
        if key in seen:
            continue
        seen.add(key)
        if count.status == S.SUBMITTED:
            made = notifications_create(
                kind="submitted", region=count.region, period=count.period, actor=count.entered_by
            )
            at = count.submitted_at
        else:
            made = notifications_create(
                kind="returned",
                region=count.region,
                period=count.period,
                actor=count.reviewed_by,
                comment=count.review_comment,
            )
            at = count.reviewed_at
        Notification.objects.filter(pk__in=[n.pk for n in made]).update(created_at=at)
