"""The message log trigger on SQLite (realtime/service.py _STORE_MESSAGE): storing a chat
message moves its room's counter and writes its log entry in the same statement, so a message takes
one round trip to the database. PostgreSQL does the same in the statement itself and needs nothing.

Hand-written, not generated: makemigrations does not describe triggers. The rows already there are
untouched: every message stored before this migration already has its log entry."""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

# Written out here, not imported: a migration stays as it was released.
MESSAGE_LOG_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS "rt_messages_log" AFTER INSERT ON "rt_messages"
BEGIN
  UPDATE "rt_rooms" SET "last_seq" = NEW."seq" WHERE "key" = NEW."room";
  INSERT INTO "rt_events" ("room", "seq", "kind", "message_id", "payload", "created_at")
  VALUES (NEW."room", NEW."seq", 'message', NEW."id", '{}', NEW."created_at");
END
"""


def _sqlite(schema_editor: Any) -> bool:
    return str(schema_editor.client.capabilities.dialect) == "sqlite"


async def forward(apps: Any, schema_editor: Any) -> None:
    if _sqlite(schema_editor):
        await schema_editor.client.execute_script(MESSAGE_LOG_TRIGGER)


async def backward(apps: Any, schema_editor: Any) -> None:
    if _sqlite(schema_editor):
        await schema_editor.client.execute_script('DROP TRIGGER IF EXISTS "rt_messages_log"')


class Migration(migrations.Migration):
    dependencies = [("realtime", "0001_initial")]

    operations = [ops.RunPython(forward, backward)]
