"""The register import's upload form (register files are parsed by register/imports.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from regions.models import Region


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Register file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
    full_extract_of = forms.ModelChoiceField(
        queryset=Region.objects.none(),
        required=False,
        label=_("The file lists every certificate of"),
        empty_label=_("(only some certificates: flag nothing)"),
        help_text=_(
            "Certificates of this region that the file no longer lists are flagged as absent; "
            "nothing is deleted."
        ),
    )

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["full_extract_of"].queryset = regions
