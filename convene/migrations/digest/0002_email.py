from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from digest.models import DigestFrequency, DigestRunStatus, NewsletterStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('digest', '0001_initial'), ('members', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DigestCursor',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=40)),
                ('value', fields.BigIntField(default=0)),
            ],
            options={'table': 'digest_cursors', 'app': 'digest', 'pk_attr': 'name', 'table_description': 'How far a job has settled a growing table, so each pass reads only what came after: for'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DigestPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name='digest_preference', on_delete=OnDelete.CASCADE)),
                ('frequency', fields.CharEnumField(default=DigestFrequency.WEEKLY, description='OFF: off\nDAILY: daily\nWEEKLY: weekly', enum_type=DigestFrequency, max_length=8)),
                ('weekday', fields.IntField(default=0)),
                ('hour', fields.IntField(default=8)),
                ('all_groups', fields.BooleanField(default=True)),
                ('group_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('instant_mentions', fields.BooleanField(default=True)),
                ('instant_replies', fields.BooleanField(default=True)),
                ('batch_minutes', fields.IntField(default=10)),
                ('newsletter', fields.BooleanField(default=False)),
                ('schedule_changed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'digest_preferences', 'app': 'digest', 'pk_attr': 'id', 'table_description': 'What email one member wants. A member without a row has the defaults below (see'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DigestRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('period_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('period_end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(description='QUEUED: queued\nEMPTY: empty', enum_type=DigestRunStatus, max_length=8)),
                ('items', fields.IntField(default=0)),
                ('outbox_key', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'digest_runs', 'app': 'digest', 'unique_together': (('user', 'period_start'),), 'indexes': [Index(fields=['user_id', 'period_end'])], 'pk_attr': 'id', 'table_description': "One member's digest period, written in the same transaction as its outbox row. The unique"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EmailHealth',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name='email_health', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('hard_failures', fields.IntField(default=0)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('last_failure_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'digest_email_health', 'app': 'digest', 'pk_attr': 'id', 'table_description': "Permanent delivery failures of one member's address. After FAILING_AFTER hard failures the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Newsletter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(max_length=200)),
                ('body', fields.TextField(default='', unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=NewsletterStatus.DRAFT, description='DRAFT: draft\nSENDING: sending\nSENT: sent', enum_type=NewsletterStatus, max_length=8)),
                ('created_by', fields.ForeignKeyField('members.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('test_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_by', fields.ForeignKeyField('members.User', source_field='sent_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('send_started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recipients', fields.IntField(default=0)),
            ],
            options={'table': 'digest_newsletters', 'app': 'digest', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationMail',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('members.User', source_field='user_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('first_notification_id', fields.BigIntField()),
                ('last_notification_id', fields.BigIntField()),
                ('count', fields.IntField(default=0)),
                ('outbox_key', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'digest_notification_mails', 'app': 'digest', 'unique_together': (('user', 'first_notification_id'),), 'indexes': [Index(fields=['user_id', 'last_notification_id'])], 'pk_attr': 'id', 'table_description': "One instant email listing a member's notifications (forum mentions and replies) with ids in"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxBody',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.OneToOneField('digest.OutboxMessage', source_field='message_id', db_constraint=True, to_field='key', related_name='body', on_delete=OnDelete.CASCADE)),
                ('text', fields.TextField(unique=False)),
                ('html', fields.TextField(null=True, unique=False)),
                ('headers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'outbox_bodies', 'app': 'digest', 'pk_attr': 'id', 'table_description': 'What a queued email says, kept apart from its delivery state. SQLite rewrites a whole row on'},
            bases=['Model'],
        ),
        ops.RemoveField(model_name='OutboxMessage', name='headers'),
        ops.RemoveField(model_name='OutboxMessage', name='html'),
        ops.RemoveField(model_name='OutboxMessage', name='text'),
    ]
