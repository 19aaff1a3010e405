"""The notifications app: in-app notifications, mail preferences, the daily reminder digests."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications and reminders")
