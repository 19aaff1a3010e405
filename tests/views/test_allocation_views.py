"""The allocation page /targets/<id>/allocation/: scope (404), permission to save (403),
the proportional prefill, saving with the short-by / over-by warning."""

from __future__ import annotations

import datetime as dt

import pytest

from indicators.models import Target
from regions.models import Membership
from tests.conftest import PASSWORD, make_count, make_plan, make_target, make_user

ROLE = Membership.Role


@pytest.fixture
def setup(tree, certs, django_user_model):
    plan = make_plan(tree["province"], issued_on=dt.date(2018, 7, 31))  # baseline 2018Q3
    target = make_target(plan, tree["province"], certs, "2099Q4", 1000)
    # baseline 2018Q3: A 500, B 300, C 200 (B's county does not report; B enters directly)
    for region, value in (("a", 500), ("b", 300), ("c", 200), ("zone", 40)):
        make_count(tree[region], certs, "2018Q3", value)
    # latest 2019Q1: A 600, B 200, C 200
    for region, value in (("a", 600), ("b", 200), ("c", 200)):
        make_count(tree[region], certs, "2019Q1", value)
    manager = make_user(django_user_model, "mgr", (ROLE.TARGET_MANAGER, tree["province"]))
    return dict(tree, plan=plan, target=target, manager=manager)


def _url(target):
    return f"/targets/{target.pk}/allocation/"


def test_prefill_from_the_baseline_and_the_latest_quarter(client, setup):
    client.login(username="mgr", password=PASSWORD)
    t, a, b, c = setup["target"], setup["a"], setup["b"], setup["c"]
    html = client.get(_url(t) + "?prefill=baseline&as_of=2019Q1").content.decode()
    # 1,000 at 500 : 300 : 200 → 500 / 300 / 200
    for region, value in ((a, 500), (b, 300), (c, 200)):
        assert f'name="alloc-{region.pk}" value="{value}"' in html
    html = client.get(_url(t) + "?prefill=latest&as_of=2019Q1").content.decode()
    # 1,000 at 600 : 200 : 200 → 600 / 200 / 200
    for region, value in ((a, 600), (b, 200), (c, 200)):
        assert f'name="alloc-{region.pk}" value="{value}"' in html
    # the zone is never prefilled
    assert f'name="alloc-{setup["zone"].pk}" value=""' in html


def test_a_sum_that_differs_is_saved_only_when_confirmed_and_the_page_says_by_how_much(
    client, setup
):
    """500 + 300 + 150 = 950 against 1,000: short by 50. Without the confirmation nothing is
    saved and the page says so, with the sum of the values posted (950) under the inputs;
    confirmed, the three targets are created and the saved page says short by 50 (issue 22.11)."""
    client.login(username="mgr", password=PASSWORD)
    t, a, b, c = setup["target"], setup["a"], setup["b"], setup["c"]
    data = {f"alloc-{a.pk}": "500", f"alloc-{b.pk}": "300", f"alloc-{c.pk}": "150"}
    response = client.post(_url(t), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert not Target.objects.filter(allocated_from=t).exists()
    assert "short of the target by 50" in html and "Confirm that you want to save" in html
    assert '<output id="alloc-sum" for="allocation-form">950</output>' in html
    response = client.post(
        _url(t), data | {"confirm_difference": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert Target.objects.filter(allocated_from=t).count() == 3
    assert "Allocations saved as confirmed." in html and "short of the target by 50" in html
    assert '<output id="alloc-sum" for="allocation-form">950</output>' in html


def test_a_sum_that_adds_up_needs_no_confirmation(client, setup):
    client.login(username="mgr", password=PASSWORD)
    t, a, b, c = setup["target"], setup["a"], setup["b"], setup["c"]
    data = {f"alloc-{a.pk}": "500", f"alloc-{b.pk}": "300", f"alloc-{c.pk}": "200"}
    client.post(_url(t), data)
    assert Target.objects.filter(allocated_from=t).count() == 3  # 500 + 300 + 200 = 1,000


def test_the_server_sum_is_the_sum_of_the_prefilled_inputs_and_latest_is_named(client, setup):
    """Nothing saved; prefilled from the latest quarter 2019Q1 (600 / 200 / 200): the sum
    under the inputs is 1,000 (not the saved 0) and the button names 2019Q1."""
    client.login(username="mgr", password=PASSWORD)
    url = _url(setup["target"])
    html = client.get(url + "?prefill=latest&as_of=2019Q1", HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    assert '<output id="alloc-sum" for="allocation-form">1,000</output>' in html
    assert "the latest quarter (2019Q1)" in html
    plain = client.get(url + "?as_of=2019Q1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<output id="alloc-sum" for="allocation-form">0</output>' in plain  # empty inputs


def test_a_prefecture_manager_may_read_but_not_save_the_provinces_allocation(
    client, setup, django_user_model
):
    make_user(django_user_model, "pm", (ROLE.TARGET_MANAGER, setup["a"]))
    client.login(username="pm", password=PASSWORD)
    response = client.post(_url(setup["target"]), {f"alloc-{setup['a'].pk}": "10"})
    assert response.status_code == 404  # the province's target is outside A's scope
    assert not Target.objects.filter(allocated_from=setup["target"]).exists()


def test_a_leader_of_the_province_sees_the_page_but_cannot_save(client, setup, django_user_model):
    make_user(django_user_model, "ld", (ROLE.LEADER, setup["province"]))
    client.login(username="ld", password=PASSWORD)
    assert client.get(_url(setup["target"])).status_code == 200
    response = client.post(_url(setup["target"]), {f"alloc-{setup['a'].pk}": "10"})
    assert response.status_code == 403
    assert not Target.objects.filter(allocated_from=setup["target"]).exists()


def test_outside_the_scope_is_404(client, setup, django_user_model):
    make_user(django_user_model, "other", (ROLE.TARGET_MANAGER, setup["other"]))
    client.login(username="other", password=PASSWORD)
    assert client.get(_url(setup["target"])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, setup):
    response = client.get(_url(setup["target"]))
    assert response.status_code == 302 and "login" in response["Location"]
