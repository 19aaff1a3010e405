"""Fill the register's stock cells for the certificates already stored (register.stocks)."""

from django.db import migrations


def fill(apps, schema_editor):
    # Only where there is a register: a fresh database has nothing to sweep, and the sweep
    # (app code, today's models) must not run against an older schema.
    if not apps.get_model("register", "Certificate").objects.exists():
        return
    from register.stocks import register_stocks_rebuild

    register_stocks_rebuild()


class Migration(migrations.Migration):
    dependencies = [("register", "0002_add_register_stock")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
