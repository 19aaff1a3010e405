"""Forms parse and validate request input; they never write (writes go through services)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator
from indicators.periods import Quarter
from indicators.selectors import INCLUSION_LABELS, Inclusion, default_range
from regions.models import Region
from regions.selectors import regions_visible_to

MAX_REPORT_QUARTERS = 80  # 20 years; bounds the export's size (docs/excel.md)


class QuarterField(forms.Field):
    """A quarter written as ``2020Q4``; cleans to a :class:`Quarter`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 7, "placeholder": "2020Q4"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        try:
            return Quarter.parse(value)
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” is not a quarter (write e.g. 2026Q3)."),
                code="invalid",
                params={"value": value[:20]},
            ) from None

    def prepare_value(self, value):
        return str(value) if isinstance(value, Quarter) else value


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return "\u3000" * obj.depth + f"{obj.name} ({obj.code})"


class ReportForm(forms.Form):
    """The report's filters; also the documented query parameters of ``report_export``."""

    region = RegionChoiceField(
        queryset=Region.objects.none(), to_field_name="code", label=_("Region")
    )
    start = QuarterField(label=_("From quarter"))
    end = QuarterField(label=_("To quarter"))
    indicator = forms.ModelMultipleChoiceField(
        queryset=Indicator.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Indicators"),
        help_text=_("None ticked: all indicators."),
    )
    values = forms.ChoiceField(
        choices=[(k.value, v) for k, v in INCLUSION_LABELS.items()],
        initial=Inclusion.SUBMITTED.value,
        required=False,
        label=_("Values included"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = regions_visible_to(user).order_by("path")
        self.fields["region"].queryset = visible
        start, end = default_range()
        self.fields["start"].initial = start
        self.fields["end"].initial = end
        first = visible.first()
        if first is not None:
            self.fields["region"].initial = first.code

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The first quarter must not be after the last."))
            if end - start + 1 > MAX_REPORT_QUARTERS:
                raise forms.ValidationError(
                    _("Choose at most %(n)s quarters.") % {"n": MAX_REPORT_QUARTERS}
                )
        return data

    def report_args(self) -> dict:
        data = self.cleaned_data
        indicators = list(data["indicator"]) or list(Indicator.objects.all())
        return dict(
            root=data["region"],
            start=data["start"],
            end=data["end"],
            indicators=indicators,
            include=Inclusion.parse(data["values"]),
        )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    submit = forms.BooleanField(
        required=False,
        label=_("Submit the imported quarters for review"),
        help_text=_("Otherwise they are saved as drafts you can check and submit later."),
    )
