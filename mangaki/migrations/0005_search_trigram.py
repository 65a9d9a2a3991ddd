"""Trigram search on PostgreSQL: the pg_trgm extension and GiST trigram indexes on the
normalised title keys, for `WorkQuerySet.search()` (substring LIKE and typo-tolerant `%>`).

Both operations do nothing on other databases (SQLite searches with a plain scan). The
indexes live here rather than in the models' Meta because a trigram index cannot be declared
portably. GiST, not GIN: on 10k works the planner skips a GIN index for long queries (many
trigrams) and scans every row, 200 ms for a typo-tolerant search, while it always uses the
GiST one (20-35 ms on a busy machine); the EXPLAIN measurements are in docs/site.md.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("mangaki_work_search_key_trgm", "mangaki_work"),
    ("mangaki_worktitle_search_key_trgm", "mangaki_worktitle"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gist (search_key gist_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("mangaki", "0004_list_import")]
    operations = [
        TrigramExtension(),  # a no-op outside PostgreSQL
        migrations.RunPython(create_indexes, drop_indexes),
    ]
