"""roll-ups per NPS group

Revision ID: c9f1a7e3b2d6
Revises: b5e2c8f1a9d4
Create Date: 2026-12-07 11:50:00.000000

The daily roll-ups gained a dimension (the NPS groups of each response), which segments of one NPS group read.
Roll-ups made before it lack those rows, so they are dropped here and rebuilt from the raw rows on the next read
(the retained scan counts, which replace deleted raw scans, are kept).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c9f1a7e3b2d6'
down_revision = 'b5e2c8f1a9d4'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('monthly_count', 'rolled_up_month', 'daily_count', 'rolled_up_day'):
        op.execute(f'DELETE FROM {table}')


def downgrade():
    # the older code reads the roll-ups it knows and ignores the extra dimension's rows
    pass
