"""Test-only helpers referenced from certtrack/settings_test.py."""

from axes.backends import AxesStandaloneBackend


class RequestOptionalAxesBackend(AxesStandaloneBackend):
    """django-axes' lock-out check, skipped where no request is given.

    The test client's ``login()`` calls ``authenticate()`` without a request, which the real
    backend refuses. Real sign-ins go through the login view, which always passes the request,
    so the throttling tests exercise the same code as production.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
