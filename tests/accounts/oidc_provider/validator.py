"""The claims of the test provider: the names a provincial platform gives (sub,
preferred_username, name, email) and ``groups``: the person's Django groups here."""

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim for every scope: the test asks for them all

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "name": user.first_name,
            "email": user.email,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }
