"""The filters of the account list (django-filter) over ``accounts_managed_by``."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regions.models import Membership, Region
from tasks.models import Unit, UnitMembership

SIGN_IN_CHOICES = [
    ("7", _("In the last 7 days")),
    ("30", _("In the last 30 days")),
    ("over90", _("Not in the last 90 days")),
    ("never", _("Never")),
]


class AccountFilterSet(django_filters.FilterSet):
    """Region (the account lies in its subtree), role, unit, active, last sign-in, and a search
    over username, name, English name and mail."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.none(),
        method="filter_region",
        empty_label=_("Any region"),
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"),
        choices=Membership.Role.choices,
        method="filter_role",
        empty_label=_("Any role"),
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        method="filter_unit",
        empty_label=_("Any unit"),
    )
    active = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("true", _("active")), ("false", _("deactivated"))],
        method="filter_active",
        empty_label=_("Any status"),
    )
    signed_in = django_filters.ChoiceFilter(
        label=_("Last sign-in"),
        choices=SIGN_IN_CHOICES,
        method="filter_signed_in",
        empty_label=_("Any time"),
    )

    def __init__(self, *args, regions, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["region"].queryset = regions
        self.filters["unit"].queryset = units

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(profile__name_en__icontains=value)
            | Q(email__icontains=value)
        )

    def filter_region(self, queryset, name, region):
        memberships = Membership.objects.filter(
            user=OuterRef("pk"), region__path__startswith=region.path
        )
        units = UnitMembership.objects.filter(
            user=OuterRef("pk"), unit__region__path__startswith=region.path
        )
        return queryset.filter(
            Q(profile__region__path__startswith=region.path) | Exists(memberships) | Exists(units)
        )

    def filter_role(self, queryset, name, role):
        return queryset.filter(Exists(Membership.objects.filter(user=OuterRef("pk"), role=role)))

    def filter_unit(self, queryset, name, unit):
        return queryset.filter(
            Exists(UnitMembership.objects.filter(user=OuterRef("pk"), unit=unit))
        )

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "true")

    def filter_signed_in(self, queryset, name, value):
        now = timezone.now()
        if value == "never":
            return queryset.filter(last_login__isnull=True)
        if value == "over90":
            return queryset.filter(
                Q(last_login__isnull=True) | Q(last_login__lt=now - dt.timedelta(days=90))
            )
        return queryset.filter(last_login__gte=now - dt.timedelta(days=int(value)))
