from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('members', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='ChatMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('room', fields.CharField(db_index=True, max_length=80)),
                ('seq', fields.BigIntField()),
                ('author', fields.ForeignKeyField('members.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('client_key', fields.CharField(max_length=64)),
                ('body', fields.TextField(unique=False)),
                ('body_html', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('hidden_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('hidden_by_id', fields.IntField(null=True)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rt_messages', 'app': 'realtime', 'unique_together': (('room', 'author', 'client_key'), ('room', 'seq')), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Mute',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('room', fields.CharField(max_length=80)),
                ('user_id', fields.IntField()),
                ('until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('by_id', fields.IntField()),
            ],
            options={'table': 'rt_mutes', 'app': 'realtime', 'unique_together': (('room', 'user_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReadMarker',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('room', fields.CharField(max_length=80)),
                ('user_id', fields.IntField()),
                ('seq', fields.BigIntField(default=0)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rt_read_markers', 'app': 'realtime', 'unique_together': (('room', 'user_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Room',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=80)),
                ('last_seq', fields.BigIntField(default=0)),
                ('slow_mode_seconds', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rt_rooms', 'app': 'realtime', 'pk_attr': 'key', 'table_description': 'A room\'s counters and settings. `key` is e.g. "group:12" or "consultation:3".'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoomEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('room', fields.CharField(max_length=80)),
                ('seq', fields.BigIntField()),
                ('kind', fields.CharField(max_length=32)),
                ('message_id', fields.BigIntField(null=True)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rt_events', 'app': 'realtime', 'unique_together': (('room', 'seq'),), 'pk_attr': 'id', 'table_description': "One entry of a room's log, numbered 1, 2, 3 ... without gaps. A client that subscribes with"},
            bases=['Model'],
        ),
    ]
