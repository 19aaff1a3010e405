"""LDAP sign-in (django-auth-ldap), on when ``LDAP_SERVER_URI`` is set (certtrack/settings.py).

django-auth-ldap binds as the person (found under ``LDAP_USER_SEARCH_BASE``) and reads their
groups under ``LDAP_GROUP_SEARCH_BASE``; this backend then applies the directory's name
(``displayName``, else ``cn``), mail and group mappings (``accounts.directory.directory_sync``).
A username that belongs to a local account is left to the local password.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_auth_ldap.backend import LDAPBackend as BaseLDAPBackend
from django_auth_ldap.backend import _LDAPUser

from accounts.directory import DirectoryConflict, directory_account, directory_sync
from accounts.models import Profile

SOURCE = Profile.Source.LDAP


def _first(attrs, *names: str) -> str:
    for name in names:
        values = attrs.get(name) or attrs.get(name.lower()) or []
        if values:
            return values[0]
    return ""


class LDAPBackend(BaseLDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        username = self.ldap_to_django_username(ldap_user._username)
        existing = (
            get_user_model()
            .objects.filter(username__iexact=username)
            .select_related("profile")
            .first()
        )
        if existing is not None:
            profile = getattr(existing, "profile", None)
            if existing.is_superuser or profile is None or profile.source != SOURCE:
                return None  # a local account: its own password, never the directory's
        return super().authenticate_ldap_user(ldap_user, password)

    def get_or_build_user(self, username, ldap_user):
        try:
            user = directory_account(
                username=username.lower(), source=SOURCE, directory_id=ldap_user.dn
            )
        except DirectoryConflict:
            raise _LDAPUser.AuthenticationFailed(f"{username} is a local account") from None
        return user, False

    def get_user(self, user_id):
        user = get_user_model().objects.select_related("profile").filter(pk=user_id).first()
        return user if user is not None and user.is_active else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or not hasattr(user, "ldap_user"):
            return user
        attrs = user.ldap_user.attrs
        directory_sync(
            user=user,
            source=SOURCE,
            directory_id=user.ldap_user.dn,
            name=_first(attrs, "displayName", "cn"),
            email=_first(attrs, "mail"),
            groups=user.ldap_user.group_dns,
        )
        return user if user.is_active else None
