from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("qinglian.HomePage")

    # Replace Wagtail's placeholder "Welcome" page with the Qinglian home page.
    Page.objects.filter(depth=2, url_path="/home/", content_type__app_label="wagtailcore").delete()
    if HomePage.objects.exists():
        return
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="qinglian")
    root = Page.objects.get(depth=1)
    numchild = Page.objects.filter(depth=2).count()
    home = HomePage.objects.create(
        title="清廉 · 廉洁教育平台",
        draft_title="清廉 · 廉洁教育平台",
        slug="home",
        content_type=content_type,
        path=f"{root.path}{numchild + 1:04d}",
        depth=2,
        numchild=0,
        url_path="/home/",
        intro="以案为鉴、以案明纪，守住廉洁底线。",
        locale_id=root.locale_id,
    )
    root.numchild = numchild + 1
    root.save(update_fields=["numchild"])
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "site_name": "清廉 Qinglian", "port": 80},
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("qinglian.HomePage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("qinglian", "0001_initial"), ("wagtailcore", "0098_apitoken")]
    operations = [migrations.RunPython(create_homepage, remove_homepage)]
