"""Forms of the report page: the unit's report (with attachments) and the reviewer's decision.

Forms only parse; every rule (who, which period, what a submission needs, file types) is the
services' (``tasks.services``), whose errors the views put back on these forms.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from indicators.services.validation import MAX_VERSION, WholeNumberField
from tasks.attachments import ALLOWED_EXTENSIONS
from tasks.demo import shown_text
from tasks.models import TaskReport
from tasks.services import MAX_TEXT

SAVE, SUBMIT = "save", "submit"
ACCEPT, RETURN, REOPEN = "accept", "return", "reopen"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); a list, possibly empty."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _text(label, help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class TaskReportForm(forms.Form):
    """A lead unit's progress report for one period; ``version`` is the report's version the
    page showed (empty for a report not yet written)."""

    status = forms.ChoiceField(
        label=_("Progress"), choices=TaskReport.Status.choices, widget=forms.RadioSelect
    )
    done = _text(_("What was done"))
    problems = _text(_("Problems"), _("Required for a delayed task."))
    next_steps = _text(_("Next steps"))
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, Word, Excel or images; several files may be chosen at once."),
        widget=MultipleFileInput(attrs={"accept": ",".join(f".{e}" for e in ALLOWED_EXTENSIONS)}),
    )
    version = WholeNumberField(
        required=False, min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput
    )
    action = forms.ChoiceField(
        choices=[(SAVE, _("Save draft")), (SUBMIT, _("Submit"))], widget=forms.HiddenInput
    )

    def __init__(self, *args, report: TaskReport | None = None, **kwargs):
        # A demo report's texts in the page's language (tasks.demo.shown_text).
        if report is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "status": report.status,
                "done": shown_text(report, "done"),
                "problems": shown_text(report, "problems"),
                "next_steps": shown_text(report, "next_steps"),
                "version": report.version,
            }
        super().__init__(*args, **kwargs)

    def disable(self) -> None:
        for field in self.fields.values():
            field.disabled = True


class ReviewForm(forms.Form):
    """The plan owner's decision on a report."""

    action = forms.ChoiceField(
        choices=[(ACCEPT, _("Accept")), (RETURN, _("Return")), (REOPEN, _("Reopen"))]
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when returning or reopening: the unit sees it."),
    )
    version = WholeNumberField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)


class VersionForm(forms.Form):
    """A write acting on the report as the page showed it (removing an attachment)."""

    version = WholeNumberField(min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput)
