"""The task board's filters (django-filter) over its rows: the (task, lead unit) pairs of
``tasks.selectors.lead_links``."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators.models import Plan
from tasks.models import TaskReport, TaskUnit, Unit
from tasks.selectors._common import plan_units, tasks_shared_by
from tasks.selectors.board import overdue_link_ids

NO_REPORT = "none"


class TaskBoardFilterSet(django_filters.FilterSet):
    """Filters the board by unit (the tasks it leads or shares, itself or through a collective
    named on them), by the progress of the latest report, and to overdue rows only."""

    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        method="filter_unit",
        empty_label=_("Every unit"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Progress"),
        choices=[*TaskReport.Status.choices, (NO_REPORT, _("No report yet"))],
        method="filter_status",
        empty_label=_("Any progress"),
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )

    class Meta:
        model = TaskUnit
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, plan: Plan, today: dt.date, **kwargs):
        self.plan, self.today = plan, today
        super().__init__(data, queryset, **kwargs)
        self.filters["unit"].queryset = Unit.objects.filter(pk__in=[u.pk for u in plan_units(plan)])

    def filter_unit(self, queryset, name, unit):
        if not unit:
            return queryset
        return queryset.filter(Q(unit=unit) | Q(task__in=tasks_shared_by(unit)))

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        if value == NO_REPORT:
            return queryset.filter(latest_status__isnull=True)
        return queryset.filter(latest_status=value)

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=overdue_link_ids(self.plan, self.today))

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            self.form.cleaned_data.get(k) for k in ("unit", "status", "overdue")
        )
