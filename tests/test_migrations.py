"""The schema only changes through migrations: models and the migration head agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from feedback.extensions import db


def test_models_and_migration_head_agree(app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_database_is_at_the_single_migration_head(app: Flask) -> None:
    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, "migrations must form one line; merge branches"
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_revisions_do_not_import_application_code() -> None:
    from pathlib import Path

    for path in (Path(__file__).parent.parent / "migrations" / "versions").glob("*.py"):
        text = path.read_text()
        assert "feedback." not in text and "import feedback" not in text, path.name


def test_upgrading_keeps_existing_campaigns_and_touchpoints(tmp_path) -> None:
    """A database created by the first release migrates to the head without losing rows."""
    from flask_migrate import upgrade

    from feedback import create_app
    from tests.conftest import environ_for

    app = create_app({"ENVIRON": environ_for(f"sqlite:///{tmp_path / 'old.sqlite3'}")})
    with app.app_context():
        upgrade(revision="9b00250fb202")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO workspace (id, slug, name, timezone, currency, created_at) "
                "VALUES (1, 'w', 'W', 'Europe/Berlin', 'EUR', '2026-01-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO campaign (id, workspace_id, name, slug, description, created_at) "
                "VALUES (1, 1, 'C', 'c', '', '2026-01-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO touchpoint (id, workspace_id, campaign_id, name, channel, phase, "
                "location, notes, created_at) VALUES (1, 1, 1, 'T', 'flyer', 'awareness', '', '', "
                "'2026-01-01 00:00:00')"
            )
        upgrade()
        with db.engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT name, headline, phone FROM touchpoint").one()
        assert tuple(row) == ("T", "{}", "")
        db.engine.dispose()


def test_upgrading_keeps_codes_and_scans_when_tables_are_rebuilt(tmp_path) -> None:
    """SQLite rebuilds tables in batch migrations; printed codes and their scans must survive it."""
    from flask_migrate import upgrade

    from feedback import create_app
    from tests.conftest import environ_for

    app = create_app({"ENVIRON": environ_for(f"sqlite:///{tmp_path / 'codes.sqlite3'}")})
    with app.app_context():
        upgrade(revision="eff3f792a62a")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO workspace (id, slug, name, timezone, currency, created_at) "
                "VALUES (1, 'w', 'W', 'Europe/Berlin', 'EUR', '2026-01-01 00:00:00')",
                "INSERT INTO campaign (id, workspace_id, name, slug, description, created_at) "
                "VALUES (1, 1, 'C', 'c', '', '2026-01-01 00:00:00')",
                "INSERT INTO touchpoint (id, workspace_id, campaign_id, name, channel, phase, location, notes, "
                "created_at) VALUES (1, 1, 1, 'T', 'flyer', 'awareness', '', '', '2026-01-01 00:00:00')",
                "INSERT INTO code (id, workspace_id, touchpoint_id, code, label, created_at) "
                "VALUES (1, 1, 1, 'ABCD1234', '', '2026-01-01 00:00:00')",
                "INSERT INTO scan (workspace_id, touchpoint_id, code_id, scanned_at, visitor_key, visitor_from_cookie, "
                "device_class, os, browser, language, is_bot, outcome) VALUES (1, 1, 1, '2026-01-02 00:00:00', "
                "'k', 0, 'mobile', '', '', '', 0, 'ok')",
            ):
                conn.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT code FROM code").scalar_one() == "ABCD1234"
            assert conn.exec_driver_sql("SELECT count(*) FROM scan").scalar_one() == 1
            assert conn.exec_driver_sql("SELECT invite_policy FROM campaign").scalar_one() == "everyone"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        db.engine.dispose()


def test_upgrading_marks_every_existing_rating_question_as_loyalty(tmp_path) -> None:
    """Rating questions counted as loyalty before questions could say so: after the upgrade no number changes."""
    from flask_migrate import upgrade

    from feedback import create_app
    from tests.conftest import environ_for

    app = create_app({"ENVIRON": environ_for(f"sqlite:///{tmp_path / 'loyalty.sqlite3'}")})
    with app.app_context():
        upgrade(revision="185d90ff3324")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO workspace (id, slug, name, timezone, currency, created_at) "
                "VALUES (1, 'w', 'W', 'Europe/Berlin', 'EUR', '2026-01-01 00:00:00')",
                "INSERT INTO survey (id, workspace_id, name, repeat_days, created_at) "
                "VALUES (1, 1, 'S', 30, '2026-01-01 00:00:00')",
                "INSERT INTO survey_version (id, workspace_id, survey_id, number, created_at) "
                "VALUES (1, 1, 1, 1, '2026-01-01 00:00:00')",
            ):
                conn.exec_driver_sql(statement)
            for position, (key, type_) in enumerate((("nps", "nps"), ("repurchase", "rating"), ("ces", "ces"))):
                conn.exec_driver_sql(
                    "INSERT INTO question (version_id, position, key, type, required, text_de, text_en, low_label_de, "
                    "low_label_en, high_label_de, high_label_en, options, wording_key, detractor_de, detractor_en, "
                    f"promoter_de, promoter_en) VALUES (1, {position}, '{key}', '{type_}', 1, 'F', '', '', '', '', '', "
                    "'[]', '', '', '', '', '')"
                )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT key, higher_is_better, loyalty FROM question ORDER BY position").all()
        assert [tuple(r) for r in rows] == [("nps", 1, 0), ("repurchase", 1, 1), ("ces", 1, 0)]
        db.engine.dispose()


def test_upgrading_links_existing_deliveries_to_what_they_carry(tmp_path) -> None:
    """Deliveries written before they named their response or contact are linked from their bodies, so an erasure
    reaches them too."""
    from flask_migrate import upgrade

    from feedback import create_app
    from tests.conftest import environ_for

    app = create_app({"ENVIRON": environ_for(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")})
    with app.app_context():
        upgrade(revision="b7e2d4c61f05")
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO workspace (id, slug, name, timezone, currency, created_at) "
                "VALUES (1, 'w', 'W', 'Europe/Berlin', 'EUR', '2026-01-01 00:00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO webhook_endpoint (id, workspace_id, url, events, secret, description, created_at) "
                "VALUES (1, 1, 'https://crm.example/h', 'lead.qualified', 'whsec_x', '', '2026-01-01 00:00:00')"
            )
            bodies = [
                ("response.completed", '{"id":"e1","data":{"response":{"id":41,"answers":{"why":"secret"}}}}'),
                ("lead.qualified", '{"id":"e2","data":{"contact":{"id":7,"email":"anna@example.com"}}}'),
                ("code.scanned", '{"id":"e3","data":{"scan":{"id":9}}}'),
                ("lead.qualified", "not json"),
            ]
            for n, (event, payload) in enumerate(bodies, start=1):
                conn.exec_driver_sql(
                    "INSERT INTO webhook_delivery (id, workspace_id, endpoint_id, event, event_id, payload, status, "
                    "attempts, last_error, next_attempt_at, created_at) VALUES (?, 1, 1, ?, ?, ?, 'pending', 0, '', "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                    (n, event, f"e{n}", payload),
                )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT id, response_id, contact_id FROM webhook_delivery ORDER BY id").all()
        assert [tuple(r) for r in rows] == [(1, 41, None), (2, None, 7), (3, None, None), (4, None, None)]
        db.engine.dispose()


def test_upgrading_moves_every_german_and_english_text_into_its_language_map(tmp_path) -> None:
    """Texts written in the two columns per language before land in one map per text, none lost, none invented;
    the old one-language button text becomes German; workspaces write in German and English as before."""
    import json

    from flask_migrate import downgrade, upgrade

    from feedback import create_app
    from tests.conftest import environ_for

    app = create_app({"ENVIRON": environ_for(f"sqlite:///{tmp_path / 'texts.sqlite3'}")})
    with app.app_context():
        upgrade(revision="c3a9e5f1d7b2")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO workspace (id, slug, name, timezone, currency, created_at) "
                "VALUES (1, 'w', 'W', 'Europe/Berlin', 'EUR', '2026-01-01 00:00:00')",
                "INSERT INTO campaign (id, workspace_id, name, slug, description, created_at) "
                "VALUES (1, 1, 'C', 'c', '', '2026-01-01 00:00:00')",
                "INSERT INTO touchpoint (id, workspace_id, campaign_id, name, channel, phase, location, notes, "
                "created_at, headline_de, headline_en, body_de, body_en, cta_label) VALUES (1, 1, 1, 'T', 'flyer', "
                "'awareness', '', '', '2026-01-01 00:00:00', 'Hallo', 'Hello', 'Nur Deutsch', '', 'Los geht''s')",
                "INSERT INTO survey (id, workspace_id, name, repeat_days, created_at) "
                "VALUES (1, 1, 'S', 30, '2026-01-01 00:00:00')",
                "INSERT INTO survey_version (id, workspace_id, survey_id, number, created_at) "
                "VALUES (1, 1, 1, 1, '2026-01-01 00:00:00')",
                "INSERT INTO question (version_id, position, key, type, required, text_de, text_en, low_label_de, "
                "low_label_en, high_label_de, high_label_en, options, wording_key, detractor_de, detractor_en, "
                "promoter_de, promoter_en, higher_is_better, loyalty) VALUES (1, 0, 'reason', 'text', 0, 'Warum?', "
                "'Why?', 'Nie', '', '', 'Always', '[{\"value\": \"a\", \"de\": \"Ä\", \"en\": \"A\"}]', "
                "'nps', 'Was fehlt?', 'What is missing?', '', 'What did you like?', 1, 0)",
                "INSERT INTO offer (id, workspace_id, campaign_id, name, text_de, text_en, with_coupon, created_at) "
                "VALUES (1, 1, 1, 'O', '10 % Rabatt', '', 1, '2026-01-01 00:00:00')",
                "INSERT INTO lead_settings (workspace_id, points, mql_at, sales_ready_at, purpose_de, purpose_en) "
                "VALUES (1, '{}', 30, 60, '', 'We may call you.')",
            ):
                conn.exec_driver_sql(statement)
        upgrade()
        with db.engine.connect() as conn:
            touchpoint = conn.exec_driver_sql("SELECT headline, body, cta_label FROM touchpoint").one()
            question = conn.exec_driver_sql(
                "SELECT text, low_label, high_label, detractor_text, promoter_text, options FROM question"
            ).one()
            offer = conn.exec_driver_sql("SELECT text FROM offer").scalar_one()
            purpose = conn.exec_driver_sql("SELECT purpose FROM lead_settings").scalar_one()
            workspace = conn.exec_driver_sql("SELECT languages FROM workspace").scalar_one()
            survey = conn.exec_driver_sql("SELECT language FROM survey").scalar_one()
        assert [json.loads(v) for v in touchpoint] == [
            {"de": "Hallo", "en": "Hello"},
            {"de": "Nur Deutsch"},
            {"de": "Los geht's"},
        ]
        assert [json.loads(v) for v in question] == [
            {"de": "Warum?", "en": "Why?"},
            {"de": "Nie"},
            {"en": "Always"},
            {"de": "Was fehlt?", "en": "What is missing?"},
            {"en": "What did you like?"},
            [{"value": "a", "de": "Ä", "en": "A"}],
        ]
        assert (json.loads(offer), json.loads(purpose)) == ({"de": "10 % Rabatt"}, {"en": "We may call you."})
        assert (workspace, survey) == ("de,en", "de")

        # and back: the two columns hold what they held
        downgrade(revision="c3a9e5f1d7b2")
        with db.engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT headline_de, headline_en, body_de, body_en, cta_label FROM touchpoint"
            ).one()
            texts = conn.exec_driver_sql("SELECT text_de, text_en, promoter_de, promoter_en FROM question").one()
        assert tuple(row) == ("Hallo", "Hello", "Nur Deutsch", "", "Los geht's")
        assert tuple(texts) == ("Warum?", "Why?", "", "What did you like?")
        db.engine.dispose()
