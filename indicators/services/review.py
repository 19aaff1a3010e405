"""A reviewer's writes on a submitted region-quarter: approve (locks it), return with a comment,
reopen an approved one with a reason. Entry is in counts.py; each service is atomic."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.rollups import rollups_deferred
from indicators.selectors.entry import separation_applies
from indicators.services._common import (
    _bump,
    _event,
    _submission,
)
from notifications.services import notifications_create, notifications_settle
from regions.models import Region
from regions.selectors import access_for

S = QuarterlyCount.Status
A = CountEvent.Action


def _review(user, region, action_word: str) -> None:
    if not access_for(user).can_review(region):
        raise PermissionDenied(
            _("You may not %(action)s counts of %(region)s.")
            % {"action": action_word, "region": region.name}
        )


def _check_separation(user, region: Region, period: Quarter) -> None:
    """Separation of duties (``CERTTRACK_SEPARATION_OF_DUTIES``, on by default): nobody approves
    or returns counts they entered or submitted themselves; another reviewer decides."""
    if separation_applies(user=user, region=region, period=period):
        raise PermissionDenied(
            _(
                "You entered or submitted these counts of %(region)s for %(period)s yourself: "
                "another reviewer must approve or return them (separation of duties)."
            )
            % {"region": region.name, "period": period}
        )


@rollups_deferred()
def _review_transition(
    *,
    user,
    region: Region,
    period: Quarter,
    expected_versions: Mapping[str, int | None] | None,
    action: str,
    from_status: str,
    to_status: str,
    comment: str,
    wrong_status: str,
) -> list[QuarterlyCount]:
    """Move every count of a submission from ``from_status`` to ``to_status`` as a reviewer,
    recording who, when and the comment on the counts and in the audit trail."""
    counts = _submission(region, period, expected_versions)
    if any(c.status != from_status for c in counts.values()):
        raise ValidationError(wrong_status)
    now = timezone.now()
    for count in counts.values():
        _bump(
            count,
            count.version,
            status=to_status,
            reviewed_by=user,
            reviewed_at=now,
            review_comment=comment,
        )
        _event(
            count,
            action=action,
            user=user,
            now=now,
            old_value=count.value,
            old_status=from_status,
            comment=comment,
        )
    # The officials hear of the decision; the reviewers' "waits" notices are settled.
    kind = {A.APPROVE: "approved", A.RETURN: "returned", A.REOPEN: "reopened"}[action]
    notifications_settle(kind="submitted", region=region, period=period)
    notifications_create(
        kind=kind,
        region=region,
        period=period,
        actor=user,
        comment=comment,
        also_user_ids={c.entered_by_id for c in counts.values()},
    )
    return list(counts.values())


@transaction.atomic
def counts_approve(
    *,
    user,
    region: Region,
    period: Quarter,
    expected_versions: Mapping[str, int | None] | None = None,
    comment: str = "",
) -> list[QuarterlyCount]:
    """A reviewer of an enclosing region approves a submitted quarter; approved counts are locked."""
    _review(user, region, _("approve"))
    _check_separation(user, region, period)
    return _review_transition(
        user=user,
        region=region,
        period=period,
        expected_versions=expected_versions,
        action=A.APPROVE,
        from_status=S.SUBMITTED,
        to_status=S.APPROVED,
        comment=comment,
        wrong_status=_("Only submitted counts can be approved."),
    )


@transaction.atomic
def counts_return(
    *,
    user,
    region: Region,
    period: Quarter,
    comment: str,
    expected_versions: Mapping[str, int | None] | None = None,
) -> list[QuarterlyCount]:
    """A reviewer returns a submitted quarter to the official, with a required comment."""
    _review(user, region, _("return"))
    _check_separation(user, region, period)
    if not comment.strip():
        raise ValidationError({"comment": [_("Say why the counts are returned.")]})
    return _review_transition(
        user=user,
        region=region,
        period=period,
        expected_versions=expected_versions,
        action=A.RETURN,
        from_status=S.SUBMITTED,
        to_status=S.RETURNED,
        comment=comment.strip(),
        wrong_status=_("Only submitted counts can be returned."),
    )


@transaction.atomic
def counts_reopen(
    *,
    user,
    region: Region,
    period: Quarter,
    reason: str,
    expected_versions: Mapping[str, int | None] | None = None,
) -> list[QuarterlyCount]:
    """A reviewer reopens an approved quarter (it goes back to the official as returned)."""
    _review(user, region, _("reopen"))
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for reopening approved counts.")]})
    return _review_transition(
        user=user,
        region=region,
        period=period,
        expected_versions=expected_versions,
        action=A.REOPEN,
        from_status=S.APPROVED,
        to_status=S.RETURNED,
        comment=reason.strip(),
        wrong_status=_("Only approved counts can be reopened."),
    )
