"""Regions (GB/T 2260 administrative divisions and statistical reporting zones) and who belongs to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

PATH_SEP = "/"


class Region(models.Model):
    """A node of the region hierarchy: country, province, prefecture, county, at any depth.

    ``code`` is the GB/T 2260 code (or, for a unit without one such as 兰州新区, the national
    statistics bureau's statistical code). ``path`` is a materialized path of codes from the root,
    e.g. ``/620000/620100/620171/``: a whole subtree is one ``path__startswith`` query, cheap at
    national scale. It is kept right by ``regions.services`` (never by hand) and checked by tests.

    ``kind`` tells how a region relates to its parent's total:

    * ``division``: an administrative division; the divisions under a parent partition it, so
      their counts add up to the parent's.
    * ``zone``: a functional area inside its parent (兰州新区 inside 兰州市). It reports on its own
      and shows beside its parent as a part, but is never added into the parent's roll-up, so
      that no roll-up counts it twice.

    ``is_reporting_unit`` marks the regions whose bureaus are expected to enter quarterly counts
    (completeness is measured against them).
    """

    class Level(models.TextChoices):
        COUNTRY = "country", _("Country")
        PROVINCE = "province", _("Province")
        PREFECTURE = "prefecture", _("Prefecture")
        COUNTY = "county", _("County")

    class Kind(models.TextChoices):
        DIVISION = "division", _("Administrative division")
        ZONE = "zone", _("Functional zone (part of its parent)")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DIVISION)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)
    is_reporting_unit = models.BooleanField(_("reporting unit"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6,12}$"),
                name="%(app_label)s_%(class)s_code_digits",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="%(app_label)s_%(class)s_not_own_parent",
            ),
        ]
        indexes = [
            # Subtree queries are `path LIKE '/620000/%'`; PostgreSQL uses an index for a
            # prefix LIKE only with the pattern operator class (ignored on SQLite).
            models.Index(
                fields=["path"],
                name="regions_region_path_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless English is chosen)."""
        lang = (get_language() or "zh-hans").lower()
        return self.name_en if lang.startswith("en") else self.name_zh

    def is_within(self, other: Region) -> bool:
        """True if this region is ``other`` or lies in ``other``'s subtree."""
        return self.path.startswith(other.path)

    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to the parent (excluding this region)."""
        return [c for c in self.path.split(PATH_SEP) if c][:-1]


class Membership(models.Model):
    """A user's role in a region; the role applies to the region and its whole subtree.

    An official (填报员) enters counts for the region and the units below it; a reviewer (审核员)
    approves or returns submissions in the subtree; a leader (领导) and an analyst (分析员) read
    the subtree; a target manager allocates the targets of the region (and of every region
    below it) to their divisions and reads the subtree; a user administrator (用户管理员) manages
    the accounts of the subtree (accounts.selectors) and reads it. A user may hold several
    memberships (an analyst of both Gansu and Beihai).
    """

    class Role(models.TextChoices):
        OFFICIAL = "official", _("Official")
        REVIEWER = "reviewer", _("Reviewer")
        LEADER = "leader", _("Leader")
        ANALYST = "analyst", _("Analyst")
        # 目标分解: may allocate the region's targets to its divisions (and read the subtree).
        TARGET_MANAGER = "targets", _("Target manager")
        # 用户管理员: manages the accounts and memberships of the subtree (accounts/, /users/);
        # may grant any role in the subtree, a user administrator's only strictly below.
        USER_ADMIN = "useradmin", _("User administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__username", "region__path", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "region", "role"], name="%(app_label)s_%(class)s_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"
