from decimal import Decimal

from django.db import migrations


def create_default(apps, schema_editor):
    StudyRequirement = apps.get_model("courses", "StudyRequirement")
    if not StudyRequirement.objects.filter(rank_level__isnull=True).exists():
        StudyRequirement.objects.create(
            rank_level=None, total_hours=Decimal("50"), integrity_hours=Decimal("12")
        )


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
