"""Full-text search over the library (library/search.py): the FTS5 table on SQLite, filled from
the resources already there.

Hand-written, not generated: makemigrations cannot describe a virtual table. RunPython picks the
database's dialect (PostgreSQL needs no table), so the same migration runs on both."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from library.search import migrate_search_backward, migrate_search_forward


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]

    operations = [ops.RunPython(migrate_search_forward, migrate_search_backward)]
