from django.db import migrations

# The usual ladder of civil-service rank levels; editable afterwards in the admin.
RANKS = [
    (10, "KY", "科员", False),
    (20, "FKJ", "副科级", False),
    (30, "ZKJ", "正科级", False),
    (40, "FCJ", "副处级", True),
    (50, "ZCJ", "正处级", True),
    (60, "FTJ", "副厅级", True),
    (70, "ZTJ", "正厅级", True),
]


def forwards(apps, schema_editor):
    RankLevel = apps.get_model("people", "RankLevel")
    for order, code, name, leading in RANKS:
        RankLevel.objects.get_or_create(
            code=code, defaults={"order": order, "name": name, "is_leading": leading}
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
