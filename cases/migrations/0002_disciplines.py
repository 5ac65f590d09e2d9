from django.db import migrations

# The six disciplines of the CPC Regulations on Disciplinary Actions (2023, 第二编 分则,
# chapters 7–12) and common sub-types; editable afterwards in the admin.
DISCIPLINES = [
    (1, "political", "政治纪律", [("political-speech", "妄议党中央大政方针"), ("political-superstition", "搞封建迷信")]),
    (2, "organisational", "组织纪律", [("org-false-report", "违规不报告个人有关事项"), ("org-promotion", "违规选拔任用干部")]),
    (3, "integrity", "廉洁纪律", [
        ("gifts-money", "违规收受礼品礼金"),
        ("banquets", "违规操办婚丧喜庆事宜"),
        ("public-funds-dining", "公款吃喝"),
        ("power-for-relatives", "利用职权为亲属谋利"),
        ("business-activity", "违规从事营利活动"),
        ("bribery", "受贿"),
        ("official-cars", "违规使用公车"),
    ]),
    (4, "mass", "群众纪律", [("mass-extortion", "侵害群众利益"), ("mass-indifference", "漠视群众诉求")]),
    (5, "work", "工作纪律", [("work-formalism", "形式主义、官僚主义"), ("work-negligence", "失职失责")]),
    (6, "life", "生活纪律", [("gambling", "赌博"), ("extravagance", "生活奢靡")]),
]


def forwards(apps, schema_editor):
    Category = apps.get_model("cases", "DisciplineCategory")
    for order, code, name, subtypes in DISCIPLINES:
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})
        for i, (sub_code, sub_name) in enumerate(subtypes, start=1):
            Category.objects.get_or_create(
                code=sub_code, defaults={"name": sub_name, "order": i, "parent": parent}
            )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
