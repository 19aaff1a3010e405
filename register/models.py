"""The certificate register: organizations, their certificates and each certificate's status
history, the controlled list of certification types, and a record of every register import.

The two indicators of the plans are counts of these records (DOMAIN.md, "The certificate
register"): valid certificates at a day D, and the organizations holding at least one. The
counting lives in ``register.selectors`` and nowhere else; writes go through
``register.services`` (an import file, or the demo). Rules: docs/register.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from regions.models import Region


def _localized(zh: str, en: str) -> str:
    lang = (get_language() or "zh-hans").lower()
    return (en or zh) if lang.startswith("en") else (zh or en)


class CertificationType(models.Model):
    """A certification type of the controlled list (reference data, fixtures/register_types.json).

    ``group`` is the national statistics' grouping (management system, product, service);
    ``standard`` the standard's code where there is one (ISO 9001); ``aliases`` the other names
    a register file may use for it, one per line (the authority's wording, a body's
    abbreviation). A file's type is recognised by the name, the standard or an alias.
    """

    class Group(models.TextChoices):
        MANAGEMENT = "management", _("Management system certification")
        PRODUCT = "product", _("Product certification")
        SERVICE = "service", _("Service certification")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=100)
    group = models.CharField(_("group"), max_length=12, choices=Group.choices)
    standard = models.CharField(_("standard"), max_length=40, blank=True)
    aliases = models.TextField(_("other names"), blank=True, help_text=_("One per line."))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("certification type")
        verbose_name_plural = _("certification types")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)


class Organization(models.Model):
    """A certified organization, identified by its 统一社会信用代码 (GB 32100-2015, 18 characters,
    check character verified on import). ``region`` is where its certificates count: the file's
    region code, else characters 3–8 of the credit code mapped to the nearest region in the tree
    (docs/register.md)."""

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="organizations"
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["credit_code"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="%(app_label)s_%(class)s_credit_code_form",
            )
        ]

    def __str__(self) -> str:
        return f"{self.credit_code} {self.name}"


class RegisterImport(models.Model):
    """One register file imported (or the demo register loaded): who, when, which file (its
        SHA-256), the smallest region holding all its rows (the record is listed to those who see
    that region), and what its rows did. A full extract flags the certificates of the importer's
        scope that it no longer lists (``rows_flagged``); nothing is ever deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The smallest region holding every row of the file (who may see the record)."),
    )
    file_name = models.CharField(_("file"), max_length=200)
    file_hash = models.CharField(_("file hash (SHA-256)"), max_length=64)
    full_extract = models.BooleanField(_("full extract"), default=False)
    rows_added = models.PositiveIntegerField(_("added"), default=0)
    rows_changed = models.PositiveIntegerField(_("changed"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rows_refused = models.PositiveIntegerField(_("refused"), default=0)
    rows_flagged = models.PositiveIntegerField(_("absent, flagged"), default=0)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class Certificate(models.Model):
    """A certificate of the register: its number is unique per certification body.

    ``status`` is the latest entry of its history (kept by the services beside the history,
    for filtering lists); whether it counted on a given day is read from the history
    (:class:`CertificateStatus`) and the issue and expiry dates, in ``register.selectors``.
    ``absent_since`` is set when a later full extract of its region no longer lists it: it is
    flagged, never deleted.
    """

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    number = models.CharField(_("certificate number"), max_length=60)
    body = models.CharField(_("certification body"), max_length=200)
    type = models.ForeignKey(
        CertificationType,
        verbose_name=_("certification type"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    holder = models.ForeignKey(
        Organization,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    absent_since = models.ForeignKey(
        RegisterImport,
        verbose_name=_("absent from the extract of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["body", "number"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["body", "number"], name="%(app_label)s_%(class)s_number_unique_per_body"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("issued_on")),
                name="%(app_label)s_%(class)s_expires_after_issue",
            ),
        ]
        indexes = [models.Index(fields=["holder", "type"], name="register_cert_holder_type")]

    def __str__(self) -> str:
        return f"{self.number} ({self.body})"


class CertificateStatus(models.Model):
    """One entry of a certificate's status history: ``status`` from ``valid_from`` until the
    next entry's date (``valid_to``, exclusive; empty for the latest). A certificate's first
    entry starts on its issue date. A later file that reports another status adds an entry;
    entries are never rewritten except to close the previous one."""

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.CASCADE,
        related_name="history",
    )
    status = models.CharField(_("status"), max_length=10, choices=Certificate.Status.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)
    source = models.ForeignKey(
        RegisterImport,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["certificate", "valid_from"]
        verbose_name = _("certificate status")
        verbose_name_plural = _("certificate statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "valid_from"], name="%(app_label)s_%(class)s_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="%(app_label)s_%(class)s_interval_forward",
            ),
        ]
        indexes = [
            # The stock query walks the valid intervals around a day.
            models.Index(
                fields=["status", "valid_from", "valid_to"], name="register_status_interval"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate} {self.status} {self.valid_from}"


class RegisterStock(models.Model):
    """A materialized quarter-end stock of the register: in ``region``'s subtree at the end of
    ``year``/``quarter``, the valid certificates and the certified organizations (distinct
    holders of any type: never a sum over types), and the same by type and by type group in
    ``by_type`` / ``by_group`` (``{code: [certificates, organizations]}``, types and groups
    without a valid certificate left out).

    One row per region and quarter, not per type: an import of 20,000 certificates spread over
    the country touches nearly every region's quarters, and rewrites 14 times fewer rows so.
    Kept by ``register.stocks`` in the transaction of every register import (the holders it
    touched, their regions and every ancestor), rebuilt by ``manage.py rebuild_register_stocks``;
    the definition it materializes is ``register.selectors.register_stocks_counted``. Only
    quarters with a valid certificate are stored: a missing row is 0.
    """

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    certificates = models.BigIntegerField()
    organizations = models.BigIntegerField()
    by_type = models.JSONField(default=dict)
    by_group = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("register stock cell")
        verbose_name_plural = _("register stock cells")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "quarter"], name="%(app_label)s_%(class)s_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}Q{self.quarter}"
