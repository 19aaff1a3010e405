"""The filters of the certificate list (django-filter): type, status, holder, body."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from register.models import Certificate, CertificationType


class CertificateFilterSet(django_filters.FilterSet):
    """Filters a queryset of ``register.selectors`` (the certificates behind a number)."""

    type = django_filters.ModelChoiceFilter(
        label=_("Certification type"),
        queryset=CertificationType.objects.all(),
        to_field_name="code",
        empty_label=_("Any type"),
    )
    group = django_filters.ChoiceFilter(
        label=_("Group"),
        field_name="type__group",
        choices=CertificationType.Group.choices,
        empty_label=_("Any group"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status now"), choices=Certificate.Status.choices, empty_label=_("Any status")
    )
    holder = django_filters.CharFilter(label=_("Holder"), method="filter_holder")
    body = django_filters.CharFilter(
        label=_("Certification body"), field_name="body", lookup_expr="icontains"
    )

    class Meta:
        model = Certificate
        fields: list[str] = []

    def filter_holder(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(holder__name__icontains=value) | Q(holder__credit_code__istartswith=value.upper())
        )
