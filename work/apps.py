"""The work app: each role's to-do home (what waits for whom), read from its selectors."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "work"
    verbose_name = _("To-do")
