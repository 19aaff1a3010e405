"""Region tree maintenance and the one place that answers who may see or change what."""

import pytest
from django.core.exceptions import ValidationError

from regions.models import Membership, Region
from regions.selectors import (
    access_for,
    region_ancestors,
    region_subtree,
    regions_enterable_by,
    regions_reviewable_by,
    regions_visible_to,
)
from regions.services import region_save
from tests.conftest import make_region, make_user

Role = Membership.Role


def codes(qs):
    return sorted(r.code for r in qs)


def test_subtree_is_one_query_at_any_depth(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert codes(region_subtree(tree["province"])) == [
            "990000", "990100", "990171", "990200", "990201", "990300"
        ]  # fmt: skip


def test_ancestors_in_order(tree):
    assert [r.code for r in region_ancestors(tree["zone"])] == ["990000", "990100"]


def test_moving_a_region_rewrites_the_paths_of_its_subtree(tree):
    a = tree["a"]
    a.parent = tree["other"]
    region_save(region=a)
    assert Region.objects.get(code="990171").path == "/880000/990100/990171/"
    assert Region.objects.get(code="990171").depth == 2


def test_a_region_cannot_move_under_its_own_subtree(tree):
    province = tree["province"]
    province.parent = tree["zone"]
    with pytest.raises(ValidationError):
        region_save(region=province)


def test_official_sees_and_enters_only_their_subtree(tree, django_user_model):
    user = make_user(django_user_model, "o", (Role.OFFICIAL, tree["a"]))
    assert codes(regions_visible_to(user)) == ["990100", "990171"]
    assert codes(regions_enterable_by(user)) == ["990100", "990171"]
    assert codes(regions_reviewable_by(user)) == []
    access = access_for(user)
    assert access.can_enter(tree["zone"]) and not access.can_enter(tree["b"])
    assert not access.can_view(tree["province"])


def test_reviewer_reviews_within_subtree_but_enters_nothing(tree, django_user_model):
    user = make_user(django_user_model, "r", (Role.REVIEWER, tree["province"]))
    assert codes(regions_reviewable_by(user)) == codes(region_subtree(tree["province"]))
    assert codes(regions_enterable_by(user)) == []
    assert not access_for(user).can_view(tree["other_city"])


def test_leaders_and_analysts_only_read(tree, django_user_model):
    leader = make_user(django_user_model, "l", (Role.LEADER, tree["province"]))
    analyst = make_user(
        django_user_model, "an", (Role.ANALYST, tree["b"]), (Role.ANALYST, tree["other"])
    )
    for user in (leader, analyst):
        assert not access_for(user).can_enter_anything
        assert not access_for(user).can_review_anything
    assert codes(regions_visible_to(analyst)) == ["880000", "880100", "990200", "990201"]


def test_superuser_sees_everything(tree, django_user_model):
    admin = make_user(django_user_model, "admin", superuser=True)
    assert regions_visible_to(admin).count() == Region.objects.count()


def test_a_user_without_membership_sees_nothing(tree, django_user_model):
    user = make_user(django_user_model, "nobody")
    assert codes(regions_visible_to(user)) == []


def test_inactive_user_has_no_access(tree, django_user_model):
    user = make_user(django_user_model, "gone", (Role.LEADER, tree["province"]))
    user.is_active = False
    assert not access_for(user).can_view(tree["province"])


def test_access_is_one_query_and_cached(tree, django_user_model, django_assert_num_queries):
    user = make_user(django_user_model, "l", (Role.LEADER, tree["province"]))
    with django_assert_num_queries(1):
        access_for(user)
        access_for(user)


def test_region_code_must_be_digits(db):
    with pytest.raises(ValidationError):
        make_region("ABC")
