"""question direction and loyalty mark

Revision ID: 3a7c5e1d9b20
Revises: 185d90ff3324
Create Date: 2026-12-06 21:40:00.000000

Every existing question keeps its meaning: scales stay "higher is better", and the rating questions, which all
counted as loyalty until now, are marked as loyalty so that no number changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3a7c5e1d9b20'
down_revision = '185d90ff3324'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('higher_is_better', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('loyalty', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE question SET loyalty = TRUE WHERE type = 'rating'")
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_question_reversible'), "higher_is_better OR type IN ('csat', 'ces', 'rating')")
        batch_op.create_check_constraint(op.f('ck_question_loyalty_rating'), "NOT loyalty OR type = 'rating'")


def downgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_question_loyalty_rating'), type_='check')
        batch_op.drop_constraint(op.f('ck_question_reversible'), type_='check')
        batch_op.drop_column('loyalty')
        batch_op.drop_column('higher_is_better')
