"""campaign survey

Revision ID: c3a9e5f1d7b2
Revises: b5d83f1e6a27
Create Date: 2026-12-07 04:00:00.000000

A campaign names the survey its new touchpoints start with, so that setting up a campaign is one pass: the survey
is chosen (or made from a template) with the campaign, and every touchpoint added gets it and a code at once.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e5f1d7b2'
down_revision = 'b5d83f1e6a27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('survey_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_campaign_survey_workspace', 'survey', ['survey_id', 'workspace_id'], ['id', 'workspace_id']
        )


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint('fk_campaign_survey_workspace', type_='foreignkey')
        batch_op.drop_column('survey_id')
