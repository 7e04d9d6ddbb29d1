"""scoring versions and nurture mails

Revision ID: e7c2a9f4b1d3
Revises: d4a8e2f6c1b7
Create Date: 2026-12-09 10:00:00.000000

Each saved change of a workspace's points and thresholds becomes a `lead_rules_version` row; a workspace that had
saved its own scoring gets version 1 with the values in force (saved by nobody known). Nurture mails: a sequence
per workspace, its steps, who is in it and each mail it wrote. The outbox learns mails to contacts: the topic
`nurture`, the contact a mail is addressed to, and the mail's own one-click unsubscribe link.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7c2a9f4b1d3'
down_revision = 'd4a8e2f6c1b7'
branch_labels = None
depends_on = None

OLD_TOPICS = ('detractor', 'sales_ready', 'nps_drop', 'delivery_failing', 'digest', 'test')
TOPICS = (*OLD_TOPICS, 'nurture')
STOP_AT = ('marketing_qualified', 'sales_ready')
STOP_REASONS = ('unsubscribed', 'reached_threshold', 'stage_changed')
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('lead_rules_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('mql_at', sa.Integer(), nullable=False),
    sa.Column('sales_ready_at', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.Column('saved_by', sa.Integer(), nullable=True),
    sa.Column('rescored', sa.Integer(), nullable=False),
    sa.Column('restaged', sa.Integer(), nullable=False),
    sa.CheckConstraint('mql_at >= 1', name=op.f('ck_lead_rules_version_mql_positive')),
    sa.CheckConstraint('mql_at < sales_ready_at', name=op.f('ck_lead_rules_version_thresholds_in_order')),
    sa.ForeignKeyConstraint(['saved_by'], ['user.id'], name=op.f('fk_lead_rules_version_saved_by_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_lead_rules_version_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_rules_version')),
    sa.UniqueConstraint('workspace_id', 'number', name='uq_lead_rules_version_number')
    )
    with op.batch_alter_table('lead_rules_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_rules_version_workspace_id'), ['workspace_id'], unique=False)

    points = "CAST(points AS JSON)" if op.get_bind().dialect.name == 'postgresql' else "points"
    now = "(now() AT TIME ZONE 'utc')" if op.get_bind().dialect.name == 'postgresql' else "CURRENT_TIMESTAMP"
    op.execute(
        "INSERT INTO lead_rules_version (workspace_id, number, points, mql_at, sales_ready_at, saved_at, rescored, "
        f"restaged) SELECT workspace_id, 1, {points}, mql_at, sales_ready_at, {now}, 0, 0 FROM lead_settings "
        "WHERE mql_at >= 1 AND mql_at < sales_ready_at"
    )

    op.create_table('nurture_sequence',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('active_since', sa.DateTime(), nullable=True),
    sa.Column('stop_at', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(f"stop_at IN {STOP_AT!r}", name=op.f('ck_nurture_sequence_stop_at')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_nurture_sequence_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace_id', name=op.f('pk_nurture_sequence'))
    )
    op.create_table('nurture_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('delay_days', sa.Integer(), nullable=False),
    sa.Column('subject', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('delay_days >= 0 AND delay_days <= 365', name=op.f('ck_nurture_step_delay_days')),
    sa.ForeignKeyConstraint(['batch_id'], ['code_batch.id'], name=op.f('fk_nurture_step_batch_id_code_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_nurture_step_touchpoint_id_touchpoint'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_nurture_step_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nurture_step'))
    )
    with op.batch_alter_table('nurture_step', schema=None) as batch_op:
        batch_op.create_index('ix_nurture_step_order', ['workspace_id', 'position'], unique=False)

    op.create_table('nurture_enrolment',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.Column('stop_reason', sa.String(length=20), nullable=True),
    sa.Column('stopped_before', sa.Integer(), nullable=True),
    sa.CheckConstraint(f"stop_reason IS NULL OR stop_reason IN {STOP_REASONS!r}", name=op.f('ck_nurture_enrolment_stop_reason')),
    sa.CheckConstraint('(stopped_at IS NULL) = (stop_reason IS NULL)', name=op.f('ck_nurture_enrolment_stopped_with_reason')),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_nurture_enrolment_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stopped_before'], ['nurture_step.id'], name=op.f('fk_nurture_enrolment_stopped_before_nurture_step'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_nurture_enrolment_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_nurture_enrolment'))
    )
    with op.batch_alter_table('nurture_enrolment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nurture_enrolment_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('nurture_mail',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('mail_id', BIG_ID, nullable=True),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('reacted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_nurture_mail_code_id_code'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], name=op.f('fk_nurture_mail_contact_id_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mail_id'], ['mail.id'], name=op.f('fk_nurture_mail_mail_id_mail'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['step_id'], ['nurture_step.id'], name=op.f('fk_nurture_mail_step_id_nurture_step'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_nurture_mail_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nurture_mail')),
    sa.UniqueConstraint('code_id', name=op.f('uq_nurture_mail_code_id')),
    sa.UniqueConstraint('contact_id', 'step_id', name='uq_nurture_mail_contact_step')
    )
    with op.batch_alter_table('nurture_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nurture_mail_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_nurture_mail_step', ['step_id', 'reacted_at'], unique=False)
        batch_op.create_index('ix_nurture_mail_waiting', ['workspace_id', 'reacted_at'], unique=False)

    with op.batch_alter_table('mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('list_unsubscribe', sa.String(length=300), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_mail_contact_id'), ['contact_id'], unique=False)
        batch_op.drop_constraint(op.f('ck_mail_topic'), type_='check')
        batch_op.create_check_constraint(op.f('ck_mail_topic'), f"topic IN {TOPICS!r}")


def downgrade():
    # the older code knows no mails to contacts: nurture mails leave the outbox and its log
    op.execute("DELETE FROM mail WHERE topic = 'nurture'")
    with op.batch_alter_table('mail', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_mail_topic'), type_='check')
        batch_op.create_check_constraint(op.f('ck_mail_topic'), f"topic IN {OLD_TOPICS!r}")
        batch_op.drop_index(batch_op.f('ix_mail_contact_id'))
        batch_op.drop_column('list_unsubscribe')
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('nurture_mail', schema=None) as batch_op:
        batch_op.drop_index('ix_nurture_mail_waiting')
        batch_op.drop_index('ix_nurture_mail_step')
        batch_op.drop_index(batch_op.f('ix_nurture_mail_contact_id'))
    op.drop_table('nurture_mail')
    with op.batch_alter_table('nurture_enrolment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nurture_enrolment_workspace_id'))
    op.drop_table('nurture_enrolment')
    with op.batch_alter_table('nurture_step', schema=None) as batch_op:
        batch_op.drop_index('ix_nurture_step_order')
    op.drop_table('nurture_step')
    op.drop_table('nurture_sequence')
    # scores keep the points of the last version (and of nurture reactions) until the older code rescores
    with op.batch_alter_table('lead_rules_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_rules_version_workspace_id'))
    op.drop_table('lead_rules_version')
