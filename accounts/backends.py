"""Django's password backend, loading the signed-in user's profile in the same query.

The header names the user on every page (``regions.people.display_name``); on English pages that
reads the profile's English name. Loading it with the user keeps every page at the queries it had.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user = self.get_user_model_manager().select_related("profile").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def get_user_model_manager():
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager
