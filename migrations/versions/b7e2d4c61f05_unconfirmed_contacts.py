"""unconfirmed contacts

Revision ID: b7e2d4c61f05
Revises: 8d1f3b6c2e90
Create Date: 2026-12-07 00:30:00.000000

A respondent who enters an address an existing contact already holds gets a contact of their own that points to
the first one: ownership of the address is not confirmed, so the first contact's data stays as it was.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2d4c61f05'
down_revision = '8d1f3b6c2e90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unconfirmed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('same_address_as', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_contact_same_address_as_contact'), 'contact', ['same_address_as'], ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contact_same_address_as_contact'), type_='foreignkey')
        batch_op.drop_column('same_address_as')
        batch_op.drop_column('unconfirmed')
