"""Every write to an account: create, change, deactivate/reactivate, grant and remove roles, make
a one-time set-password link, and the bulk import. Nothing is ever deleted: a deactivated account
keeps its name in every record that names it.

Each service checks scope through ``accounts.selectors`` (an account outside it is "not found",
a role outside it a validation error), validates, writes in one transaction, and records an
``AccountEvent`` (who, when, what changed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import AccountEvent, Profile
from accounts.selectors import account_for, can_grant
from regions.models import Membership, Region
from regions.people import display_name
from tasks.models import Unit, UnitMembership

log = logging.getLogger(__name__)
Role = Membership.Role
Action = AccountEvent.Action


def role_label(role: str, region: Region) -> str:
    """``reviewer@620000``: a role as the history keeps it (codes: the same in both languages)."""
    return f"{role}@{region.code}"


def _event(*, account, actor, action: str, changes: list | None = None) -> AccountEvent:
    return AccountEvent.objects.create(
        account=account, actor=actor, action=action, changes=changes or []
    )


def _profile(account) -> Profile:
    profile, _created = Profile.objects.get_or_create(user=account)
    return profile


def _check_grant(actor, role: str, region: Region) -> None:
    if role not in Role.values:
        raise ValidationError(_("Unknown role: %(role)s.") % {"role": role})
    if not can_grant(actor, role=role, region=region):
        if role == Role.USER_ADMIN:
            raise ValidationError(
                _(
                    "You may make someone a user administrator only of a region below your own "
                    "(%(region)s is not)."
                )
                % {"region": region.name}
            )
        raise ValidationError(
            _("%(region)s is outside the regions you administer.") % {"region": region.name}
        )


@dataclass(frozen=True)
class AccountData:
    """What a new account is made of (from the form or one row of the bulk file)."""

    username: str
    name: str
    name_en: str = ""
    email: str = ""
    phone: str = ""
    region: Region | None = None
    unit: Unit | None = None
    roles: tuple[str, ...] = ()


def _check_new(*, actor, data: AccountData) -> None:
    """Every problem of ``data`` for ``actor`` as one ValidationError (nothing written)."""
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    user = User(username=data.username, first_name=data.name, email=data.email)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if not data.name.strip():
        errors.setdefault("name", []).append(_("The name is required."))
    place = data.region or (data.unit.region if data.unit else None)
    if place is None:
        errors.setdefault("region", []).append(_("Give a region or a unit."))
    if place is not None:
        for role in data.roles or ():
            try:
                _check_grant(actor, role, place)
            except ValidationError as exc:
                errors.setdefault("roles", []).extend(exc.messages)
        if not data.roles:
            try:
                _check_grant(actor, Role.LEADER, place)  # any ordinary role: the place's scope
            except ValidationError as exc:
                errors.setdefault("region", []).extend(exc.messages)
    if data.unit and not can_grant(actor, role=Role.LEADER, region=data.unit.region):
        errors.setdefault("unit", []).append(
            _("%(unit)s is outside the regions you administer.") % {"unit": data.unit.name}
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def account_create(*, actor, data: AccountData):
    """A new account with an unusable password (its owner sets one through a one-time link),
    its profile, roles at its region and unit membership; returns the user."""
    _check_new(actor=actor, data=data)
    User = get_user_model()
    user = User(username=data.username, first_name=data.name.strip(), email=data.email.strip())
    user.set_unusable_password()
    user.save()
    place = data.region or data.unit.region
    Profile.objects.create(
        user=user, name_en=data.name_en.strip(), phone=data.phone.strip(), region=place
    )
    changes = [
        [field, "", value]
        for field, value in (
            ("username", user.username),
            ("name", user.first_name),
            ("name_en", data.name_en.strip()),
            ("email", user.email),
            ("phone", data.phone.strip()),
            ("region", place.code),
        )
        if value
    ]
    if data.unit:
        UnitMembership.objects.create(user=user, unit=data.unit)
        changes.append(["unit", "", data.unit.code])
    for role in dict.fromkeys(data.roles):
        Membership.objects.create(user=user, region=place, role=role)
        changes.append(["role", "", role_label(role, place)])
    _event(account=user, actor=actor, action=Action.CREATED, changes=changes)
    log.info("account %s created by %s", display_name(user), display_name(actor))
    return user


EDITABLE = ("first_name", "email")
PROFILE_EDITABLE = ("name_en", "phone")


@transaction.atomic
def account_update(*, actor, account_id: int, name: str, name_en: str, email: str, phone: str):
    """Change an account's name, English name, mail and phone; records what changed."""
    account = account_for(actor, account_id)
    profile = _profile(account)
    new = {"first_name": name.strip(), "email": email.strip()}
    new_profile = {"name_en": name_en.strip(), "phone": phone.strip()}
    if not new["first_name"]:
        raise ValidationError({"name": _("The name is required.")})
    changes = []
    for field, value in new.items():
        if getattr(account, field) != value:
            changes.append(
                ["name" if field == "first_name" else field, getattr(account, field), value]
            )
            setattr(account, field, value)
    for field, value in new_profile.items():
        if getattr(profile, field) != value:
            changes.append([field, getattr(profile, field), value])
            setattr(profile, field, value)
    if not changes:
        return account
    account.full_clean(exclude=["password"])
    account.save(update_fields=list(EDITABLE))
    profile.save()
    _event(account=account, actor=actor, action=Action.UPDATED, changes=changes)
    return account


@transaction.atomic
def account_set_active(*, actor, account_id: int, active: bool):
    """Deactivate (no sign-in, no mail; every record keeps the name) or reactivate."""
    account = account_for(actor, account_id)
    if account.is_active == active:
        return account
    account.is_active = active
    account.save(update_fields=["is_active"])
    _event(
        account=account,
        actor=actor,
        action=Action.REACTIVATED if active else Action.DEACTIVATED,
        changes=[["active", not active, active]],
    )
    return account


@transaction.atomic
def membership_grant(*, actor, account_id: int, role: str, region: Region) -> Membership:
    """Give the account ``role`` at ``region`` (within the actor's scope)."""
    account = account_for(actor, account_id)
    _check_grant(actor, role, region)
    membership, created = Membership.objects.get_or_create(user=account, region=region, role=role)
    if created:
        _event(
            account=account,
            actor=actor,
            action=Action.ROLE_GRANTED,
            changes=[["role", "", role_label(role, region)]],
        )
    return membership


@transaction.atomic
def membership_revoke(*, actor, account_id: int, membership_id: int) -> None:
    """Remove one of the account's roles (one the actor could have granted)."""
    account = account_for(actor, account_id)
    membership = (
        Membership.objects.select_related("region").filter(pk=membership_id, user=account).first()
    )
    if membership is None:
        raise Http404("This role is not held by the account.")
    _check_grant(actor, membership.role, membership.region)
    membership.delete()
    _event(
        account=account,
        actor=actor,
        action=Action.ROLE_REVOKED,
        changes=[["role", role_label(membership.role, membership.region), ""]],
    )


# What the Django admin edits of an account, as the history names it (the account pages' names
# where they edit the same field).
ADMIN_FIELDS = {
    "username": "username",
    "first_name": "name",
    "last_name": "last_name",
    "email": "email",
    "is_staff": "staff",
    "is_superuser": "superuser",
    "groups": "groups",
    "user_permissions": "permissions",
}


def _as_recorded(value):
    """A form value as the history keeps it: many-to-many choices as their sorted names."""
    if isinstance(value, (list, tuple)) or hasattr(value, "model"):
        return ", ".join(sorted(str(v) for v in value))
    return "" if value is None else value


def admin_account_saved(*, actor, account, created: bool, form) -> None:
    """Record a save of ``account`` through the Django admin as the account pages record theirs
    (writes are audited whichever door they come through): the fields set on creation, or
    the fields changed, and a change of the active flag as a deactivation or reactivation."""
    data = form.cleaned_data
    if created:
        changes = [
            [name, "", _as_recorded(data.get(field))]
            for field, name in ADMIN_FIELDS.items()
            if data.get(field) not in (None, "", False) and _as_recorded(data.get(field)) != ""
        ]
        _event(account=account, actor=actor, action=Action.CREATED, changes=changes)
        return
    changed = set(form.changed_data)
    changes = [
        [name, _as_recorded(form.initial.get(field)), _as_recorded(data.get(field))]
        for field, name in ADMIN_FIELDS.items()
        if field in changed
    ]
    if changes:
        _event(account=account, actor=actor, action=Action.UPDATED, changes=changes)
    if "is_active" in changed:
        active = bool(data.get("is_active"))
        _event(
            account=account,
            actor=actor,
            action=Action.REACTIVATED if active else Action.DEACTIVATED,
            changes=[["active", not active, active]],
        )


def admin_role_changed(*, actor, account, old: Membership | None, new: Membership | None) -> None:
    """Record a role given, removed or changed through the Django admin (``old`` is the role
    as it was, ``new`` as it is: either may be None)."""
    same = old is not None and new is not None
    if same and (old.role, old.region_id) == (new.role, new.region_id):
        return
    if old is not None:
        _event(
            account=account,
            actor=actor,
            action=Action.ROLE_REVOKED,
            changes=[["role", role_label(old.role, old.region), ""]],
        )
    if new is not None:
        _event(
            account=account,
            actor=actor,
            action=Action.ROLE_GRANTED,
            changes=[["role", "", role_label(new.role, new.region)]],
        )


def password_link_url(account) -> str:
    """A one-time link to set the account's password (Django's password-reset token: void once
    the password is set or the account signs in, and after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    token = default_token_generator.make_token(account)
    path = reverse("accounts:set_password", kwargs={"uidb64": uid, "token": token})
    return settings.CERTTRACK_BASE_URL + path


def mail_configured() -> bool:
    """Whether set-password links are mailed (a mail relay is configured)."""
    return bool(settings.EMAIL_HOST)


@dataclass(frozen=True)
class PasswordLink:
    account_id: int
    username: str
    name: str
    url: str
    mailed: bool


def _mail_link(account, url: str) -> bool:
    """Send the link to the account's mail, in Chinese; False if it could not be sent."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {"name": display_name(account), "url": url, "username": account.username}
        subject = _("CertTrack: set your password")
        body = render_to_string("accounts/password_link_email.txt", context)
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [account.email]).send()
    except Exception as exc:  # SMTP errors, refused connections, timeouts
        log.warning("set-password mail to %s not sent: %s", display_name(account), exc)
        return False
    return True


def password_link_make(*, actor, account_id: int) -> PasswordLink:
    """A one-time set-password link for the account: mailed where mail is configured and the
    account has a mail address, else returned for the administrator to hand over. The account's
    password is never known to anyone but its owner."""
    account = account_for(actor, account_id)
    if not account.is_active:
        raise ValidationError(_("The account is deactivated: reactivate it first."))
    url = password_link_url(account)
    mailed = bool(mail_configured() and account.email and _mail_link(account, url))
    _event(
        account=account,
        actor=actor,
        action=Action.PASSWORD_LINK,
        changes=[["mailed", "", account.email if mailed else ""]],
    )
    return PasswordLink(
        account_id=account.pk,
        username=account.username,
        name=display_name(account),
        url="" if mailed else url,
        mailed=mailed,
    )


@transaction.atomic
def accounts_import_apply(*, actor, rows: Iterable[AccountData]) -> list:
    """Create every account of the bulk file, or none (one transaction: any error undoes all)."""
    created = []
    for data in rows:
        created.append(account_create(actor=actor, data=data))
    return created
