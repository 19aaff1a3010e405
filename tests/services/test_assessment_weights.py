"""services.targets.assessment_weights_set: a target manager's decision on a plan's assessment
weights, audited (who, when, the decision replaced), refused whole on bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from indicators.models import AssessmentWeights
from indicators.selectors.assessment import weights_in_force
from indicators.services.targets import assessment_weights_set
from regions.models import Membership
from tests.conftest import make_plan, make_user

T0 = timezone.make_aware(dt.datetime(2026, 11, 2, 9, 0))
W = {"progress": "50", "growth": "10", "timeliness": "20", "quality": "20"}


@pytest.fixture
def plan(tree):
    return make_plan(tree["province"])


def test_a_decision_is_recorded_with_who_when_and_the_one_it_replaces(
    plan, tree, django_user_model
):
    tm = make_user(django_user_model, "tm", (Membership.Role.TARGET_MANAGER, tree["province"]))
    assert weights_in_force(plan).decision is None  # the default until someone decides
    first = assessment_weights_set(plan=plan, user=tm, weights=W, now=T0)
    later = T0 + dt.timedelta(days=1)
    second = assessment_weights_set(
        plan=plan, user=tm, weights={**W, "progress": "40", "growth": "20"}, now=later
    )
    assert (first.as_text(), first.decided_by, first.decided_at, first.previous) == (
        "50/10/20/20",
        tm,
        T0,
        None,
    )
    assert (second.as_text(), second.previous) == ("40/20/20/20", first)
    assert weights_in_force(plan).decision == second


def test_unchanged_weights_write_nothing(plan, tree, django_user_model):
    tm = make_user(django_user_model, "tm", (Membership.Role.TARGET_MANAGER, tree["province"]))
    first = assessment_weights_set(plan=plan, user=tm, weights=W, now=T0)
    assert assessment_weights_set(plan=plan, user=tm, weights=dict(W)) == first
    assert AssessmentWeights.objects.count() == 1


def test_refused_whole_and_nothing_written(plan, tree, django_user_model):
    tm = make_user(django_user_model, "tm", (Membership.Role.TARGET_MANAGER, tree["province"]))
    lp = make_user(django_user_model, "lp", (Membership.Role.LEADER, tree["province"]))
    with pytest.raises(PermissionDenied):
        assessment_weights_set(plan=plan, user=lp, weights=W)
    with pytest.raises(ValidationError) as exc:
        assessment_weights_set(plan=plan, user=tm, weights={**W, "growth": "1,0", "quality": ""})
    assert set(exc.value.message_dict) == {"growth", "quality"}
    with pytest.raises(ValidationError) as exc:
        assessment_weights_set(plan=plan, user=tm, weights={**W, "progress": "60"})
    assert "110" in exc.value.message_dict["__all__"][0]  # "add up to 110; they must add up to 100"
    assert not AssessmentWeights.objects.exists()
