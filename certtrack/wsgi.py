"""WSGI entry point (gunicorn): loads Django, then settles the startup objects."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings")
application = get_wsgi_application()

from certtrack.startup import settle  # noqa: E402  (needs Django set up)

settle()
