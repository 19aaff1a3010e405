"""The tasks app's configuration: its checks are registered when Django starts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Tasks and progress reports")

    def ready(self):
        from tasks import checks  # noqa: F401  (registers the storage location check)
