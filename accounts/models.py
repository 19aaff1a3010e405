"""What CertTrack keeps about a person beside Django's user, and the record of account changes.

The real name (姓名) is Django's ``User.first_name`` (``last_name`` stays empty): every page,
mail and export already reads it through :func:`regions.people.display_name`. The profile adds
what Django's user has no field for.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regions.models import Membership, Region


class Profile(models.Model):
    """A person's English name (shown on English pages instead of the 姓名), phone, and the
    region the account belongs to.

    ``region`` is where the account was made (the region given, or the region of the unit
    given); with the regions of its memberships it decides which user administrators may
    manage the account (``accounts.selectors.accounts_managed_by``). ``source`` says where the
    name, mail and roles come from: typed here, or the bureau's directory at every sign-in.
    """

    class Source(models.TextChoices):
        LOCAL = "local", _("This system")
        LDAP = "ldap", _("Directory (LDAP)")
        OIDC = "oidc", _("Directory (OpenID Connect)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.LOCAL
    )
    # The directory's stable identifier of the person (an LDAP DN, an OIDC issuer + subject).
    directory_id = models.CharField(_("directory identifier"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        indexes = [models.Index(fields=["source", "directory_id"], name="accounts_profile_dir_id")]

    def __str__(self) -> str:
        return str(self.user)


class AccountEvent(models.Model):
    """One change to an account: who made it, when, and what changed (never deleted).

    ``changes`` is a list of ``[field, old, new]`` (values as shown: a role as
    ``"reviewer@620000"``); an empty list for an action that is its own description (a
    password link made, a sign-in through the directory that changed nothing is not recorded).
    """

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Changed")
        DEACTIVATED = "deactivated", _("Deactivated")
        REACTIVATED = "reactivated", _("Reactivated")
        ROLE_GRANTED = "granted", _("Role granted")
        ROLE_REVOKED = "revoked", _("Role removed")
        PASSWORD_LINK = "pwlink", _("Set-password link made")
        DIRECTORY = "directory", _("Updated from the directory")

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="account_events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=list, blank=True)

    class Meta:
        verbose_name = _("account change")
        verbose_name_plural = _("account changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "-at"], name="accounts_event_account_at")]

    def __str__(self) -> str:
        return f"{self.account} · {self.get_action_display()} · {self.at:%Y-%m-%d %H:%M}"


class DirectoryGroupMapping(models.Model):
    """A directory group that gives its members a role in a region.

    ``group`` is an LDAP group's DN (``CN=CertTrack-Reviewers-Gansu,OU=Groups,DC=amr,DC=gansu``,
    compared case-insensitively) or a value of the OIDC ``groups`` claim. At every sign-in
    through the directory the person's memberships become exactly those of the mappings of
    their groups (``accounts.directory.directory_sync``): leaving a group removes its role.
    """

    group = models.CharField(_("directory group"), max_length=500)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=10, choices=Membership.Role.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("directory group mapping")
        verbose_name_plural = _("directory group mappings")
        ordering = ["group", "region__path", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "region", "role"], name="%(app_label)s_%(class)s_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.role}@{self.region.code}"
