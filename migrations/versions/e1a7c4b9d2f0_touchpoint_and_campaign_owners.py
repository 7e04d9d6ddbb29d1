"""touchpoint and campaign owners

Revision ID: e1a7c4b9d2f0
Revises: d8b4f2a6c1e3
Create Date: 2026-12-08 09:00:00.000000

A campaign and a touchpoint may name an owner, the member who hears of their alerts: a user of the workspace (an
editor or owner, checked by the services). When the user is deleted, the ownership goes with them (SET NULL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1a7c4b9d2f0'
down_revision = 'd8b4f2a6c1e3'
branch_labels = None
depends_on = None

#: table -> the name of its owner's foreign key
KEYS = {'campaign': 'fk_campaign_owner_user', 'touchpoint': 'fk_touchpoint_owner_user'}


def upgrade():
    for table, key in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
            batch_op.create_index(f'ix_{table}_owner_id', ['owner_id'], unique=False)
            batch_op.create_foreign_key(key, 'user', ['owner_id'], ['id'], ondelete='SET NULL')


def downgrade():
    for table, key in KEYS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(key, type_='foreignkey')
            batch_op.drop_index(f'ix_{table}_owner_id')
            batch_op.drop_column('owner_id')
