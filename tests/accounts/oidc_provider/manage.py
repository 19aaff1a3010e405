"""``python -m tests.accounts.oidc_provider.manage <command>``: the test provider's manage.py,
plus ``setup <client_id> <secret> <redirect_uri>`` and ``person <username> <password> <name>
<email> [group ...]`` (create or replace a person and their groups)."""

import os
import sys


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.accounts.oidc_provider.settings"
    import django

    django.setup()
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        from django.core.management import call_command
        from oauth2_provider.models import Application

        call_command("migrate", verbosity=0)
        client_id, secret, redirect_uri = args
        Application.objects.filter(client_id=client_id).delete()
        Application.objects.create(
            name="CertTrack",
            client_id=client_id,
            client_secret=secret,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=redirect_uri,
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
    elif command == "person":
        from django.contrib.auth.models import Group, User

        username, password, name, email, *groups = args
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, user.email = name, email
        if not user.check_password(password):  # a new hash would end the person's session
            user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get_or_create(name=g)[0] for g in groups])
    else:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", command, *args])


if __name__ == "__main__":
    main()
