"""OpenID Connect sign-in (mozilla-django-oidc), on when ``OIDC_RP_CLIENT_ID`` is set.

The provider's endpoints are the ``OIDC_OP_*`` variables, or read once from
``OIDC_OP_DISCOVERY_URL`` (``.../.well-known/openid-configuration``) when first needed: never at
start-up, and never for a sign-in with a password, so a provider that is down stops only
directory sign-ins. The person is known by the provider's ``sub`` (with the issuer); their
username is ``preferred_username`` (else ``sub``), name ``name``, mail ``email``, and the
``groups`` claim is mapped to roles (``accounts.directory.directory_sync``).
"""

from __future__ import annotations

import logging
import threading

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import resolve_url
from mozilla_django_oidc import views as oidc_views
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from accounts.directory import DirectoryConflict, directory_account, directory_sync
from accounts.models import Profile

log = logging.getLogger(__name__)
SOURCE = Profile.Source.OIDC

# setting -> key of the provider's discovery document
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}
_lock = threading.Lock()
_discovered: dict[str, str] = {}


def discovery() -> dict[str, str]:
    """The provider's discovery document (fetched once per process)."""
    with _lock:
        if not _discovered:
            url = settings.OIDC_OP_DISCOVERY_URL
            if not url:
                raise ImproperlyConfigured("OIDC_OP_DISCOVERY_URL or the OIDC_OP_* endpoints")
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            _discovered.update(response.json())
        return dict(_discovered)


def oidc_setting(attr, *args):
    """A setting of mozilla-django-oidc; an endpoint not given is read from discovery."""
    if attr in DISCOVERED and not getattr(settings, attr, None):
        if getattr(settings, "OIDC_OP_DISCOVERY_URL", ""):
            return discovery()[DISCOVERED[attr]]
    return import_from_settings(attr, *args)


class OIDCBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # Nothing read here: Django makes every backend for every sign-in, a password one too.
        ModelBackend.__init__(self)
        self.UserModel = get_user_model()

    def __getattr__(self, name):
        # mozilla-django-oidc reads its settings as attributes set in __init__; read them here,
        # when an OIDC sign-in needs them.
        if name.startswith("OIDC_"):
            defaults = {
                "OIDC_OP_JWKS_ENDPOINT": None,
                "OIDC_RP_SIGN_ALGO": "HS256",
                "OIDC_RP_IDP_SIGN_KEY": None,
            }
            args = (defaults[name],) if name in defaults else ()
            return oidc_setting(name, *args)
        raise AttributeError(name)

    def authenticate(self, request, **kwargs):
        # Only the provider's redirect back signs in through here: a code and state added to
        # any other request (the password sign-in) are not an OpenID Connect sign-in.
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name != "accounts:oidc_callback":
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def _identity(self, claims) -> tuple[str, str]:
        issuer = oidc_setting("OIDC_OP_ISSUER", "") or ""
        username = (claims.get("preferred_username") or claims["sub"]).strip()[:150]
        return username, f"{issuer}|{claims['sub']}"

    def filter_users_by_claims(self, claims):
        username, directory_id = self._identity(claims)
        try:
            user = directory_account(username=username, source=SOURCE, directory_id=directory_id)
        except DirectoryConflict:
            log.warning("OIDC sign-in refused: %s is an account of this system", username)
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(pk=user.pk)

    def update_user(self, user, claims):
        _username, directory_id = self._identity(claims)
        groups = claims.get("groups") or []
        if isinstance(groups, str):
            groups = [groups]
        directory_sync(
            user=user,
            source=SOURCE,
            directory_id=directory_id,
            name=claims.get("name") or "",
            email=claims.get("email") or "",
            groups=groups,
        )
        return user

    def get_user(self, user_id):
        user = self.UserModel.objects.select_related("profile").filter(pk=user_id).first()
        return user if user is not None and user.is_active else None


class AuthenticationRequestView(oidc_views.OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)


class AuthenticationCallbackView(oidc_views.OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)

    @property
    def success_url(self):
        from accounts.selectors import landing_url

        next_url = self.request.session.get("oidc_login_next", None)
        return landing_url(self.user, next_url or resolve_url(settings.LOGIN_REDIRECT_URL))

    @property
    def failure_url(self):
        return resolve_url("accounts:directory_failed")
