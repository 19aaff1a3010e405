"""Django's JSON serialization with exact times, for backups (SERIALIZATION_MODULES "backup").

Django's JSON encoder cuts datetimes to milliseconds (ECMA-262); a backup must give every audit
time back to the microsecond, so this one writes ``isoformat()`` in full. Reading is Django's
JSON deserializer, which parses either form.
"""

from __future__ import annotations

import datetime

from django.core.serializers.json import (
    Deserializer,  # noqa: F401 (the module's reader)
    DjangoJSONEncoder,
)
from django.core.serializers.json import Serializer as JSONSerializer


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, (datetime.datetime, datetime.time)):
            return o.isoformat()
        return super().default(o)


class Serializer(JSONSerializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactJSONEncoder
