"""Saves through the Django admin are recorded in the account's history as the account pages'
saves are (writes are audited whichever door they come through): the fields changed, the
active flag as a deactivation, roles given and removed, an account created."""

from __future__ import annotations

import lxml.html
import pytest

from accounts.models import AccountEvent
from regions.models import Membership

Role = Membership.Role
A = AccountEvent.Action


def _form_values(response) -> dict:
    """What the browser would post back from the admin page's form, unchanged."""
    page = lxml.html.fromstring(response.content.decode())
    form = next(
        f for f in page.forms if f.method.lower() == "post" and f.get("id", "").endswith("_form")
    )
    values: dict = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    return values


def _events(user):
    return list(AccountEvent.objects.filter(account=user).order_by("id"))


@pytest.fixture
def admin_in(client, accounts):
    root = accounts["root"]
    client.force_login(root)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def test_admin_change_of_fields_and_active_flag_is_recorded(admin_in, accounts):
    off = accounts["off_a"]
    off.first_name, off.email = "老名", "old@example.org"
    off.save()
    url = f"/admin/auth/user/{off.pk}/change/"
    data = _form_values(admin_in.get(url))
    data["first_name"] = ["新名"]
    data["email"] = ["new@example.org"]
    data.pop("is_active", None)  # unticked
    data["is_staff"] = ["on"]
    response = admin_in.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    off.refresh_from_db()
    assert (off.first_name, off.is_active, off.is_staff) == ("新名", False, True)
    updated, deactivated = _events(off)
    assert updated.action == A.UPDATED and updated.actor == accounts["root"]
    assert sorted(updated.changes) == [
        ["email", "old@example.org", "new@example.org"],
        ["name", "老名", "新名"],
        ["staff", False, True],
    ]
    assert deactivated.action == A.DEACTIVATED
    assert deactivated.changes == [["active", True, False]]
    history = admin_in.get(f"/users/{off.pk}/").content.decode()
    assert "工作人员状态" in history and "否 → 是" in history


def test_admin_save_without_change_records_nothing(admin_in, accounts):
    off = accounts["off_a"]
    url = f"/admin/auth/user/{off.pk}/change/"
    response = admin_in.post(url, _form_values(admin_in.get(url)))
    assert response.status_code == 302
    assert _events(off) == []


def test_admin_inline_roles_given_changed_and_removed_are_recorded(admin_in, accounts, tree):
    off = accounts["off_a"]  # official of 990100
    url = f"/admin/auth/user/{off.pk}/change/"
    data = _form_values(admin_in.get(url))
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    existing = int(data[f"{prefix}-INITIAL_FORMS"][0])
    assert existing == 1
    # The held role moves to B; a new row gives reviewer of the province.
    data[f"{prefix}-0-region"] = [str(tree["b"].pk)]
    data[f"{prefix}-1-role"] = [Role.REVIEWER]
    data[f"{prefix}-1-region"] = [str(tree["province"].pk)]
    response = admin_in.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    events = [(e.action, e.changes) for e in _events(off)]
    assert events == [
        (A.ROLE_GRANTED, [["role", "", "reviewer@990000"]]),
        (A.ROLE_REVOKED, [["role", "official@990100", ""]]),
        (A.ROLE_GRANTED, [["role", "", "official@990200"]]),
    ]
    # Then the reviewer role is removed with its delete box.
    data = _form_values(admin_in.get(url))
    rows = int(data[f"{prefix}-INITIAL_FORMS"][0])
    reviewer_row = next(i for i in range(rows) if data[f"{prefix}-{i}-role"] == [Role.REVIEWER])
    data[f"{prefix}-{reviewer_row}-DELETE"] = ["on"]
    assert admin_in.post(url, data).status_code == 302
    last = _events(off)[-1]
    assert (last.action, last.changes) == (A.ROLE_REVOKED, [["role", "reviewer@990000", ""]])
    assert not Membership.objects.filter(user=off, role=Role.REVIEWER).exists()


def test_admin_created_account_is_recorded(admin_in, accounts):
    data = _form_values(admin_in.get("/admin/auth/user/add/"))
    data.update(
        username=["li4"],
        first_name=["李四"],
        email=["li4@example.org"],
        usable_password=["true"],
        password1=["a-Long-pass-4312"],
        password2=["a-Long-pass-4312"],
    )
    response = admin_in.post("/admin/auth/user/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = Membership._meta.get_field("user").related_model.objects.get(username="li4")
    (created,) = _events(user)
    assert created.action == A.CREATED and created.actor == accounts["root"]
    assert sorted(created.changes) == [
        ["email", "", "li4@example.org"],
        ["name", "", "李四"],
        ["username", "", "li4"],
    ]


def test_membership_admin_add_and_delete_are_recorded(admin_in, accounts, tree):
    off = accounts["off_b"]
    data = _form_values(admin_in.get("/admin/regions/membership/add/"))
    data.update(user=[str(off.pk)], role=[Role.ANALYST], region=[str(tree["c"].pk)])
    assert admin_in.post("/admin/regions/membership/add/", data).status_code == 302
    membership = Membership.objects.get(user=off, role=Role.ANALYST)
    url = f"/admin/regions/membership/{membership.pk}/delete/"
    assert admin_in.post(url, {"post": "yes"}).status_code == 302
    events = [(e.action, e.changes, e.actor) for e in _events(off)]
    root = accounts["root"]
    assert events == [
        (A.ROLE_GRANTED, [["role", "", "analyst@990300"]], root),
        (A.ROLE_REVOKED, [["role", "analyst@990300", ""]], root),
    ]


def test_membership_admin_bulk_delete_is_recorded(admin_in, accounts):
    off_a, off_b = accounts["off_a"], accounts["off_b"]
    ids = list(Membership.objects.filter(user__in=[off_a, off_b]).values_list("pk", flat=True))
    response = admin_in.post(
        "/admin/regions/membership/",
        {"action": "delete_selected", "_selected_action": [str(i) for i in ids], "post": "yes"},
    )
    assert response.status_code == 302
    assert [(e.action, e.changes) for e in _events(off_a)] == [
        (A.ROLE_REVOKED, [["role", "official@990100", ""]])
    ]
    assert [(e.action, e.changes) for e in _events(off_b)] == [
        (A.ROLE_REVOKED, [["role", "official@990200", ""]])
    ]
