"""texts per language

Revision ID: d8b4f2a6c1e3
Revises: c3a9e5f1d7b2
Create Date: 2026-12-07 04:30:00.000000

Survey questions, landing pages, offers and consent wordings were written in two columns each, German and English.
Each text becomes one map {language: text}, so a workspace can write in any number of languages: every German and
English text moves into its map (empty ones are left out), the call to action's button text (one language until
now) becomes the workspace's main language, German. Workspaces name their languages (German and English, as
before) and surveys their default language (German).
"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd8b4f2a6c1e3'
down_revision = 'c3a9e5f1d7b2'
branch_labels = None
depends_on = None

#: table -> {new map column: (German column, English column)}
MAPS = {
    'question': {
        'text': ('text_de', 'text_en'),
        'low_label': ('low_label_de', 'low_label_en'),
        'high_label': ('high_label_de', 'high_label_en'),
        'detractor_text': ('detractor_de', 'detractor_en'),
        'promoter_text': ('promoter_de', 'promoter_en'),
    },
    'touchpoint': {'headline': ('headline_de', 'headline_en'), 'body': ('body_de', 'body_en')},
    'offer': {'text': ('text_de', 'text_en')},
    'lead_settings': {'purpose': ('purpose_de', 'purpose_en')},
}
KEYS = {'question': 'id', 'touchpoint': 'id', 'offer': 'id', 'lead_settings': 'workspace_id'}
#: The old columns' types, for the way back.
OLD_TYPES = {
    ('question', 'text'): sa.String(300), ('question', 'low_label'): sa.String(60),
    ('question', 'high_label'): sa.String(60), ('question', 'detractor_text'): sa.String(300),
    ('question', 'promoter_text'): sa.String(300), ('touchpoint', 'headline'): sa.String(160),
    ('touchpoint', 'body'): sa.Text(), ('offer', 'text'): sa.String(300), ('lead_settings', 'purpose'): sa.Text(),
}


def _update(table, key, values, key_value):
    """UPDATE one row, the values bound as JSON (a dict becomes a JSON document on SQLite and PostgreSQL alike)."""
    assignments = ', '.join(f"{name} = :{name}" for name in values)
    statement = sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key").bindparams(
        *(sa.bindparam(name, type_=sa.JSON()) for name in values)
    )
    op.get_bind().execute(statement, {**values, 'key': key_value})


def _copy_into_maps(table, columns):
    """Fill each new map column from its German and English columns, row by row (these tables are small)."""
    connection = op.get_bind()
    key = KEYS[table]
    old = [c for pair in columns.values() for c in pair]
    rows = connection.execute(sa.text(f"SELECT {key}, {', '.join(old)} FROM {table}")).mappings().all()
    for row in rows:
        values = {new: {lang: row[col] for lang, col in zip(('de', 'en'), pair) if row[col]} for new, pair in columns.items()}
        _update(table, key, values, row[key])


def upgrade():
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.String(length=40), server_default='de,en', nullable=False))
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='de', nullable=False))

    for table, columns in MAPS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for new in columns:
                batch_op.add_column(sa.Column(new, sa.JSON(), nullable=True))
            if table == 'touchpoint':
                batch_op.add_column(sa.Column('cta_texts', sa.JSON(), nullable=True))
        _copy_into_maps(table, columns)
        if table == 'touchpoint':
            connection = op.get_bind()
            for row in connection.execute(sa.text("SELECT id, cta_label FROM touchpoint")).mappings().all():
                _update('touchpoint', 'id', {'cta_texts': {'de': row['cta_label']} if row['cta_label'] else {}}, row['id'])
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'question':
                batch_op.drop_constraint(batch_op.f('ck_question_has_text'), type_='check')
            for new, pair in columns.items():
                batch_op.alter_column(new, existing_type=sa.JSON(), nullable=False)
                for old in pair:
                    batch_op.drop_column(old)
            if table == 'touchpoint':
                batch_op.drop_column('cta_label')
                batch_op.alter_column(
                    'cta_texts', new_column_name='cta_label', existing_type=sa.JSON(), nullable=False
                )


def downgrade():
    connection = op.get_bind()
    for table, columns in MAPS.items():
        key = KEYS[table]
        with op.batch_alter_table(table, schema=None) as batch_op:
            for new, pair in columns.items():
                for old in pair:
                    batch_op.add_column(
                        sa.Column(old, OLD_TYPES[(table, new)], server_default='', nullable=False)
                    )
            if table == 'touchpoint':
                batch_op.add_column(sa.Column('cta_text', sa.String(length=60), server_default='', nullable=False))
        extra = ', cta_label' if table == 'touchpoint' else ''
        rows = connection.execute(sa.text(f"SELECT {key}, {', '.join(columns)}{extra} FROM {table}")).mappings()
        for row in rows.all():
            values = {}
            for new, (de, en) in columns.items():
                stored = row[new]
                texts = json.loads(stored) if isinstance(stored, str) else (stored or {})
                values[de], values[en] = texts.get('de', ''), texts.get('en', '')
                if table == 'question' and new == 'text' and not (values[de] or values[en]):
                    values[de] = next(iter(texts.values()), '?')  # written in another language only: keep it
            if table == 'touchpoint':
                stored = row['cta_label']
                label = json.loads(stored) if isinstance(stored, str) else (stored or {})
                values['cta_text'] = label.get('de') or label.get('en') or next(iter(label.values()), '')
            assignments = ', '.join(f"{c} = :{c}" for c in values)
            connection.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :key"), {**values, 'key': row[key]})
        with op.batch_alter_table(table, schema=None) as batch_op:
            for new in columns:
                batch_op.drop_column(new)
            if table == 'touchpoint':
                batch_op.drop_column('cta_label')
                batch_op.alter_column('cta_text', new_column_name='cta_label', existing_type=sa.String(length=60))
            if table == 'question':
                batch_op.create_check_constraint('has_text', "text_de <> '' OR text_en <> ''")
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('languages')
