"""QuarterlyCount.first_submitted_at: the first submission for review, kept through returns,
reopens and resubmissions (the on-time rate counts it). Filled from the audit trail: the
earliest SUBMIT event of each count, else its submitted_at."""

from django.db import migrations, models
from django.db.models import Min, OuterRef, Subquery


def fill_first_submitted_at(apps, schema_editor):
    QuarterlyCount = apps.get_model("indicators", "QuarterlyCount")
    CountEvent = apps.get_model("indicators", "CountEvent")
    first_submit = (
        CountEvent.objects.filter(count_id=OuterRef("pk"), action="submit")
        .values("count_id")
        .annotate(first=Min("at"))
        .values("first")[:1]
    )
    QuarterlyCount.objects.filter(submitted_at__isnull=False).update(
        first_submitted_at=Subquery(first_submit)
    )
    # A count submitted without an event of it (data loaded in bulk): its submission time.
    QuarterlyCount.objects.filter(
        submitted_at__isnull=False, first_submitted_at__isnull=True
    ).update(first_submitted_at=models.F("submitted_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("indicators", "0004_data_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="quarterlycount",
            name="first_submitted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="first submitted at"),
        ),
        migrations.RunPython(fill_first_submitted_at, migrations.RunPython.noop),
    ]
