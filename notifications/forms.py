"""The preferences form: address, mail on or off, language of mails."""

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Preference


class PreferenceForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), required=False)
    email_enabled = forms.BooleanField(
        label=_("Send me a daily reminder digest by email"), required=False
    )
    language = forms.ChoiceField(
        label=_("Language of mails"), choices=Preference.Language.choices, required=False
    )
