from django.db import migrations


def create_categories(apps, schema_editor):
    Category = apps.get_model("mangaki", "Category")
    for slug, name in [("anime", "Anime"), ("manga", "Manga")]:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("mangaki", "0001_initial")]
    operations = [migrations.RunPython(create_categories, migrations.RunPython.noop)]
