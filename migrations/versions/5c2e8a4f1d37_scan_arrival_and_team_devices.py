"""scan arrival and team devices

Revision ID: 5c2e8a4f1d37
Revises: 3a7c5e1d9b20
Create Date: 2026-12-06 21:30:00.000000

Scans record how the visitor arrived (symbol, typed address, typed code, invite, personal mailing); scans recorded
before stay NULL ("not recorded"). A scan from a device of the workspace's own team gets the outcome "team".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c2e8a4f1d37'
down_revision = '3a7c5e1d9b20'
branch_labels = None
depends_on = None

ARRIVALS = "('symbol', 'typed_url', 'typed_code', 'invite', 'personal_mailing')"


def upgrade():
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrival', sa.String(length=16), nullable=True))
        batch_op.drop_constraint(op.f('ck_scan_outcome'), type_='check')
        batch_op.create_check_constraint(op.f('ck_scan_outcome'), "outcome IN ('ok', 'paused', 'expired', 'team')")
        batch_op.create_check_constraint(op.f('ck_scan_arrival'), f"arrival IS NULL OR arrival IN {ARRIVALS}")


def downgrade():
    op.execute("DELETE FROM scan WHERE outcome = 'team'")
    with op.batch_alter_table('scan', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_scan_arrival'), type_='check')
        batch_op.drop_constraint(op.f('ck_scan_outcome'), type_='check')
        batch_op.create_check_constraint(op.f('ck_scan_outcome'), "outcome IN ('ok', 'paused', 'expired')")
        batch_op.drop_column('arrival')
