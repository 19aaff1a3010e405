"""App config of indicators: registers the lookups, table speed-ups and the signals of the page
cache and the kept target statuses."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Plans, targets and counts")

    def ready(self):
        from certtrack import (
            lookups,  # noqa: F401  (registers field__any_of)
            tables2,
        )

        tables2.install()

        from indicators import pagecache, target_statuses

        pagecache.connect_signals()
        target_statuses.connect_signals()
