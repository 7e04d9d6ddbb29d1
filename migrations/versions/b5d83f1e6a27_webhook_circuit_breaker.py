"""webhook circuit breaker

Revision ID: b5d83f1e6a27
Revises: 4e7a2c9d1b63
Create Date: 2026-12-07 11:00:00.000000

Endpoints count their failed attempts in a row; after too many the dispatchers leave them alone until
`suspended_until`, in every process.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d83f1e6a27'
down_revision = '4e7a2c9d1b63'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('suspended_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.drop_column('suspended_until')
        batch_op.drop_column('failures')
