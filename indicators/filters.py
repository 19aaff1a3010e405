"""Filter sets of the list pages (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators.selectors.entry import SUBMISSION_STATUS_LABELS
from regions.models import Region


class ReviewQueueFilterSet(django_filters.FilterSet):
    """Filters the reviewer's queue (a queryset from ``selectors.entry.review_queue``) by status
    and by region text (code, Chinese or English name)."""

    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=list(SUBMISSION_STATUS_LABELS.items()),
        empty_label=_("Any status"),
    )
    region = django_filters.CharFilter(label=_("Region"), method="filter_region")

    class Meta:
        model = Region
        fields: list[str] = []

    def filter_region(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(name_zh__icontains=value) | Q(name_en__icontains=value)
        )
