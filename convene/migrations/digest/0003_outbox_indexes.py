"""The outbox's indexes, again. On SQLite, 0002_email's RemoveField rebuilt the outbox table and
Tortoise did not create its indexes on the new table, so every poll for mail that is due
(status, next_attempt_at) read the whole outbox. PostgreSQL drops a column in place and kept them;
IF NOT EXISTS makes this a no-op there. Names as Tortoise generates them from the model.

Hand-written: makemigrations compares the models with the migrations, not with the database, so it
sees nothing missing."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

OUTBOX_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "idx_outbox_kind_15726f" ON "outbox" ("kind")',
    'CREATE INDEX IF NOT EXISTS "idx_outbox_user_id_abd709" ON "outbox" ("user_id")',
    'CREATE INDEX IF NOT EXISTS "idx_outbox_status_a060ae" ON "outbox" ("status", "next_attempt_at")',
)


async def forward(apps: Any, schema_editor: Any) -> None:
    for statement in OUTBOX_INDEXES:
        await schema_editor.client.execute_script(statement)


async def backward(apps: Any, schema_editor: Any) -> None:
    pass  # the model declares these indexes: they belong in the database at every step


class Migration(migrations.Migration):
    dependencies = [("digest", "0002_email")]

    operations = [ops.RunPython(forward, backward)]
