"""A query or path parameter that cannot be used: one exception for every view, answered by
``certtrack.views.bad_request`` as the styled 400 page (HTML) or as JSON for the data endpoints.

The value is echoed back only through the template's escaping or inside JSON: never as HTML
built by hand (docs/deploy.md, "Security").
"""

from __future__ import annotations

from django.core.exceptions import BadRequest

# Long values are cut before they are echoed (a page does not repeat a 10,000-character URL).
ECHO_LIMIT = 40


class BadParameter(BadRequest):
    """``parameter`` (its name in the URL) has a ``value`` that cannot be used: ``message`` says
    why, in the user's language."""

    def __init__(self, parameter: str, value: object, message: str):
        self.parameter = parameter
        self.value = str(value)[:ECHO_LIMIT]
        self.message = str(message)
        super().__init__(self.message)

    def as_json(self) -> dict:
        return {
            "error": "bad_parameter",
            "parameter": self.parameter,
            "value": self.value,
            "message": self.message,
        }
