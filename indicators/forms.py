"""Forms of the entry and review pages: they parse input; the services validate and write.

A value is parsed with :func:`indicators.services.validation.parse_count` so that the form and an
import give the same messages; everything else (permissions, organizations ≤ certificates, large
changes, stale versions, the workflow) is the services' job.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator
from indicators.periods import Quarter, first_quarter
from indicators.selectors.entry import Submission
from indicators.selectors.progress import default_range
from indicators.selectors.values import DEFAULT_INCLUSION, INCLUSION_LABELS, Inclusion
from indicators.services.validation import MAX_VERSION, WholeNumberField, parse_count
from regions.models import Region
from regions.selectors import regions_visible_to, root_regions_for

SAVE, SUBMIT = "save", "submit"


def _quarter_choices(quarters: list[Quarter]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The quarters in the given order (newest first), grouped by year: a select shows each
    year as a heading (``<optgroup label="2026">``) instead of a flat list back to 2015Q1."""
    groups: dict[int, list[tuple[str, str]]] = {}
    for q in quarters:
        groups.setdefault(q.year, []).append((str(q), str(q)))
    return [(str(year), options) for year, options in groups.items()]


class EntryPickForm(forms.Form):
    """Which region and quarter to enter (GET): only the user's regions, no future quarter."""

    region = forms.ModelChoiceField(queryset=None, to_field_name="code", label=_("Region"))
    period = forms.ChoiceField(label=_("Quarter"))

    def __init__(self, *args, regions, quarters: list[Quarter], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["region"].empty_label = None
        self.fields["region"].label_from_instance = lambda r: f"{r.name} ({r.code})"
        self.fields["period"].choices = _quarter_choices(quarters)


class QuarterPickForm(forms.Form):
    """Which quarter the reviewer's queue shows (GET)."""

    period = forms.ChoiceField(label=_("Quarter"))

    def __init__(self, *args, quarters: list[Quarter], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = _quarter_choices(quarters)


def value_field(code: str) -> str:
    return f"value_{code}"


def version_field(code: str) -> str:
    return f"version_{code}"


class QuarterlyCountForm(forms.Form):
    """Both indicators of one region-quarter, with the versions the user saw (hidden).

    Blank values are left out of a draft; submitting needs every indicator. When the quarter is
    submitted or approved the value fields are disabled (locked).
    """

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: the source of the figures or anything the reviewer should know."),
    )
    explanation = forms.CharField(
        label=_("Explanation of large changes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, submission: Submission, **kwargs):
        self.submission = submission
        initial = kwargs.pop("initial", None) or {}
        for row in submission.rows:
            initial.setdefault(value_field(row.indicator.code), row.value)
            initial.setdefault(version_field(row.indicator.code), row.version)
        if submission.notes:
            initial.setdefault("note", submission.notes[0])
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["explanation"].help_text = _(
            "Required before submitting when a value changes by more than %(pct)s%% against "
            "last quarter. Kept with the values and shown to the reviewer."
        ) % {"pct": f"{settings.CERTTRACK['CHANGE_WARNING_SHARE'] * 100:g}"}
        locked = not submission.editable
        for row in submission.rows:
            code = row.indicator.code
            self.fields[value_field(code)] = forms.CharField(
                label=row.indicator.name,
                required=False,
                disabled=locked,
                help_text=_("Stock at the quarter's last day, in %(unit)s (a whole number).")
                % {"unit": row.indicator.unit},
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "autocomplete": "off", "class": "count-input"}
                ),
            )
            self.fields[version_field(code)] = WholeNumberField(
                required=False, min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput
            )
        if locked:
            self.fields["note"].disabled = True
            self.fields["explanation"].disabled = True

    @property
    def action(self) -> str:
        return SUBMIT if self.data.get("action") == SUBMIT else SAVE

    def value_fields(self):
        """(row, bound value field) pairs, in indicator order, for the template."""
        return [(row, self[value_field(row.indicator.code)]) for row in self.submission.rows]

    def version_fields(self):
        return [self[version_field(row.indicator.code)] for row in self.submission.rows]

    def clean(self):
        cleaned = super().clean()
        any_value = False
        for row in self.submission.rows:
            name = value_field(row.indicator.code)
            raw = (self.data.get(name) or "").strip()
            if not raw:
                cleaned[name] = None
                if self.action == SUBMIT:
                    self.add_error(name, _("Enter this value before submitting."))
                continue
            any_value = True
            try:
                cleaned[name] = parse_count(raw, name=row.indicator.name)
            except ValidationError as exc:
                self.add_error(name, exc)
        if not any_value and not self.errors:
            raise ValidationError(_("Enter at least one value."), code="empty")
        return cleaned

    def values(self) -> dict[str, int]:
        """The entered values by indicator code (blank ones left out)."""
        out = {}
        for row in self.submission.rows:
            value = self.cleaned_data.get(value_field(row.indicator.code))
            if value is not None:
                out[row.indicator.code] = value
        return out

    def expected_versions(self) -> dict[str, int | None]:
        """The versions the user saw, for every indicator."""
        return {
            row.indicator.code: self.cleaned_data.get(version_field(row.indicator.code))
            for row in self.submission.rows
        }


class ReviewForm(forms.Form):
    """A reviewer's decision on a region-quarter, with the versions the reviewer looked at."""

    APPROVE, RETURN, REOPEN = "approve", "return", "reopen"

    action = forms.ChoiceField(
        choices=[(APPROVE, _("Approve")), (RETURN, _("Return")), (REOPEN, _("Reopen"))],
        widget=forms.HiddenInput,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning the counts or reopening approved ones."),
    )

    def __init__(self, *args, submission: Submission, **kwargs):
        self.submission = submission
        super().__init__(*args, **kwargs)
        for row in submission.rows:
            self.fields[version_field(row.indicator.code)] = WholeNumberField(
                required=False,
                min_value=1,
                max_value=MAX_VERSION,
                widget=forms.HiddenInput,
                initial=row.version,
            )

    def version_fields(self):
        return [self[version_field(row.indicator.code)] for row in self.submission.rows]

    def expected_versions(self) -> dict[str, int | None]:
        return {
            row.indicator.code: self.cleaned_data.get(version_field(row.indicator.code))
            for row in self.submission.rows
        }


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
            quarter = Quarter.parse(value)
        except ValueError:
            raise forms.ValidationError(
                _("“%(value)s” is not a quarter (write e.g. 2026Q3)."),
                code="invalid",
                params={"value": value[:20]},
            ) from None
        first = first_quarter()
        if quarter < first:
            raise forms.ValidationError(
                _("%(period)s is before %(first)s, the first quarter CertTrack holds counts for."),
                code="too_early",
                params={"period": quarter, "first": first},
            )
        return quarter

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
        initial=DEFAULT_INCLUSION.value,
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
        # One top region: it is the default (of the page and of a download without ``region``).
        # Several (an analyst of Gansu and Beihai): the user chooses; no silent first option.
        roots = root_regions_for(user)
        self.default_region = roots[0] if len(roots) == 1 else None
        self.fields["region"].empty_label = _("— choose a region —")
        self.fields["region"].error_messages["required"] = _(
            "Choose the region of the report: you may see several (%(regions)s)."
        ) % {"regions": "、".join(r.name for r in roots)}
        if self.default_region is not None:
            self.fields["region"].initial = self.default_region.code
            if self.is_bound and not self.data.get("region"):
                self.data = self.data.copy()
                self.data["region"] = self.default_region.code

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


class BriefForm(forms.Form):
    """The brief's choices; also the documented query parameters of ``report_brief``
    (docs/brief.md). Every field is optional: the user's first region, the last complete
    quarter (a later one is taken as it, as on every page), the values of
    ``DEFAULT_INCLUSION`` (approved and awaiting review, as on every page)."""

    region = RegionChoiceField(
        queryset=Region.objects.none(), to_field_name="code", required=False, label=_("Region")
    )
    as_of = QuarterField(required=False, label=_("As of quarter"))
    values = forms.ChoiceField(
        choices=[(k.value, v) for k, v in INCLUSION_LABELS.items()],
        initial=DEFAULT_INCLUSION.value,
        required=False,
        label=_("Values included"),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "id_brief_%s")  # beside the Excel report's form
        super().__init__(*args, **kwargs)
        self.visible = regions_visible_to(user).order_by("path")
        self.fields["region"].queryset = self.visible
        self.fields["as_of"].initial = Quarter.last_complete()
        first = self.visible.first()
        if first is not None:
            self.fields["region"].initial = first.code

    def clean_region(self):
        region = self.cleaned_data.get("region") or self.visible.first()
        if region is None:
            raise forms.ValidationError(_("You have no region to report on."))
        return region

    def clean_as_of(self):
        last = Quarter.last_complete()
        return min(self.cleaned_data.get("as_of") or last, last)

    def brief_args(self) -> dict:
        data = self.cleaned_data
        include = Inclusion.parse(data["values"] or None)
        return dict(region=data["region"], as_of=data["as_of"], include=include)


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


class AssessmentWeightsForm(forms.Form):
    """A plan's assessment weights, in percent (checked and saved by
    ``services.targets.assessment_weights_set``: whole numbers 0–100 adding up to 100)."""

    progress = forms.CharField(label=_("Progress against targets"), max_length=5)
    growth = forms.CharField(label=_("Growth on a year earlier"), max_length=5)
    timeliness = forms.CharField(label=_("Timeliness of reporting"), max_length=5)
    quality = forms.CharField(label=_("Data quality"), max_length=5)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update(inputmode="numeric", size=5, autocomplete="off")
