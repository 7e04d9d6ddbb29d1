"""kiosk mode and landing actions

Revision ID: a41c7e93d2b8
Revises: 5c2e8a4f1d37
Create Date: 2026-12-08 10:00:00.000000

A touchpoint can be a kiosk (a shared screen: one person after another) with its coupon shown as a QR symbol or
not at all; responses say whether they were answered on a kiosk (existing ones were not), and a kiosk's reset to a
fresh survey is a scan arrival of its own. Clicks on a landing page's call, calendar, follow and main button are
stored as landing actions (a new table: no roll-up counts them, so no rolled-up day changes).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a41c7e93d2b8'
down_revision = '5c2e8a4f1d37'
branch_labels = None
depends_on = None

OLD_ARRIVALS = "('symbol', 'typed_url', 'typed_code', 'invite', 'personal_mailing')"
ARRIVALS = "('symbol', 'typed_url', 'typed_code', 'invite', 'personal_mailing', 'kiosk')"


def upgrade():
    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kiosk', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('kiosk_coupon', sa.String(length=8), server_default='qr', nullable=False))
        batch_op.create_check_constraint(op.f('ck_touchpoint_kiosk_coupon'), "kiosk_coupon IN ('qr', 'off')")

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kiosk', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_scan_arrival'), type_='check')
        batch_op.create_check_constraint(op.f('ck_scan_arrival'), f"arrival IS NULL OR arrival IN {ARRIVALS}")

    op.create_table('landing_action',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('clicked_at', sa.DateTime(), nullable=False),
    sa.Column('visitor_key', sa.String(length=32), nullable=False),
    sa.Column('device_class', sa.String(length=10), nullable=False),
    sa.Column('is_bot', sa.Boolean(), nullable=False),
    sa.Column('team', sa.Boolean(), nullable=False),
    sa.CheckConstraint("action IN ('call', 'calendar', 'follow', 'cta')", name=op.f('ck_landing_action_action')),
    sa.CheckConstraint("device_class IN ('mobile', 'tablet', 'desktop', 'bot', 'other')", name=op.f('ck_landing_action_device_class')),
    sa.ForeignKeyConstraint(['code_id'], ['code.id'], name=op.f('fk_landing_action_code_id_code'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_landing_action_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_landing_action_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_landing_action'))
    )
    with op.batch_alter_table('landing_action', schema=None) as batch_op:
        batch_op.create_index('ix_landing_action_touchpoint_time', ['touchpoint_id', 'clicked_at'], unique=False)


def downgrade():
    with op.batch_alter_table('landing_action', schema=None) as batch_op:
        batch_op.drop_index('ix_landing_action_touchpoint_time')
    op.drop_table('landing_action')

    op.execute("UPDATE scan SET arrival = NULL WHERE arrival = 'kiosk'")
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_scan_arrival'), type_='check')
        batch_op.create_check_constraint(op.f('ck_scan_arrival'), f"arrival IS NULL OR arrival IN {OLD_ARRIVALS}")

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('kiosk')

    with op.batch_alter_table('touchpoint', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_touchpoint_kiosk_coupon'), type_='check')
        batch_op.drop_column('kiosk_coupon')
        batch_op.drop_column('kiosk')
