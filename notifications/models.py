"""In-app notifications, each user's mail preferences, and the record of every mail sent.

A notification stores what happened (kind, region, quarter, who, comment), never a rendered
sentence: it is worded in the reader's language when shown or mailed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from indicators.periods import Quarter
from regions.models import Region


class Notification(models.Model):
    """Something that happened to a region-quarter that ``user`` should act on or know about.

    Officials hear that their quarter was returned, approved or reopened; reviewers that a
    submission waits (or was withdrawn). Created by the services that make the change, in the
    same transaction; marked read when its reader opens it.
    """

    class Kind(models.TextChoices):
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved")
        REOPENED = "reopened", _("Reopened")
        SUBMITTED = "submitted", _("Submitted for review")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notifications_unread",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.region.code} {self.period}"

    @property
    def period(self) -> Quarter:
        return Quarter(self.year, self.quarter)


class Preference(models.Model):
    """A user's choices about mail (the address itself is the user's ``email``), and what the
    to-do home remembers between visits (the analyst's "changed since your last visit")."""

    class Language(models.TextChoices):
        INTERFACE = "", _("The language I last used")
        ZH = "zh-hans", "简体中文"
        EN = "en", "English"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="preference",
    )
    email_enabled = models.BooleanField(
        _("send me email"),
        default=True,
        help_text=_("Reminder digests by email; the notifications in the app stay either way."),
    )
    language = models.CharField(
        _("language of mails"), max_length=10, blank=True, choices=Language.choices
    )
    last_language = models.CharField(_("language last used"), max_length=10, blank=True)
    email_confirmed = models.EmailField(
        _("confirmed address"),
        blank=True,
        help_text=_(
            "The address whose confirmation link the user opened. Mail goes only to the "
            "user's address when it is this one."
        ),
    )
    seen_until = models.DateTimeField(_("home last seen at"), null=True, blank=True)
    seen_target_id = models.PositiveBigIntegerField(_("last target seen"), default=0)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        constraints = [
            # An address is proven by one person only (compared without case).
            models.UniqueConstraint(
                Lower("email_confirmed"),
                condition=~Q(email_confirmed=""),
                name="%(app_label)s_%(class)s_confirmed_email_unique",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def mail_language(self) -> str:
        return self.language or self.last_language or settings.LANGUAGE_CODE


class SentMail(models.Model):
    """One reminder digest: to whom, for which day, what it said, and whether it was delivered.

    At most one per user and day (a named constraint): ``send_reminders`` run twice in a day
    sends nothing the second time, and a failed delivery is tried again by the next run.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Delivered to the mail server")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="sent_mails",
    )
    day = models.DateField(_("day"))
    recipient = models.CharField(_("address"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    sections = models.CharField(_("sections"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    sent_at = models.DateTimeField(_("last attempt at"))

    class Meta:
        ordering = ["-day", "user__username"]
        verbose_name = _("mail sent")
        verbose_name_plural = _("mails sent")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "day"], name="%(app_label)s_%(class)s_one_digest_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.recipient} {self.status}"
