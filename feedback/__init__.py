"""feedback: make offline marketing measurable with a QR code per touchpoint and a short survey."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PACKAGE_FOLDER = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_FOLDER.parent


def shipped_folder(name: str) -> Path:
    """templates/, static/ or migrations/: inside the package when installed from a wheel, else the checkout's."""
    inside = PACKAGE_FOLDER / name
    return inside if inside.is_dir() else PROJECT_ROOT / name


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides settings read from the environment (tests use it)."""
    from feedback.config import instance_folder

    app = Flask(
        __name__,
        instance_path=str(instance_folder(settings_environment(config))),
        template_folder=str(shipped_folder("templates")),
        static_folder=str(shipped_folder("static")),
    )
    load_settings(app, config)
    register_extensions(app)
    register_caches(app)
    register_subscribers(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    install_fast_lane(app)
    apply_proxy_fix(app)
    install_security_headers(app)
    return app


def settings_environment(overrides: Mapping[str, Any] | None) -> Mapping[str, str]:
    """The environment settings are read from: the overrides' ENVIRON (tests), else this process's."""
    if overrides and "ENVIRON" in overrides:
        return overrides["ENVIRON"]
    return os.environ


def load_settings(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Read settings from the environment, then apply overrides."""
    from feedback.config import load_config

    app.config.update(load_config(settings_environment(overrides), Path(app.instance_path)))
    if overrides:
        app.config.update({k: v for k, v in overrides.items() if k != "ENVIRON"})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin on every command


def register_extensions(app: Flask) -> None:
    """Bind database, migrations, CSRF, login, languages and rate limits to the app."""
    from feedback import guards, i18n, replica
    from feedback.analysis import rollups
    from feedback.auth.models import User
    from feedback.extensions import configure_sqlite, csrf, db, limiter, login_manager, migrate
    from feedback.qr import visitors

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    replica.init_app(app)
    migrate.init_app(app, db, directory=str(shipped_folder("migrations")), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    visitors.init_app(app)
    guards.init_app(app)
    guards.install_converters(app)
    rollups.init_app()
    from feedback.notifications import hooks as mail_hooks
    from feedback.webhooks import hooks

    hooks.install()
    mail_hooks.install()

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user


def register_blueprints(app: Flask) -> None:
    """Mount each feature's blueprint."""
    from feedback import health
    from feedback.analysis import cohort_views, period_views, segment_views, theme_views
    from feedback.analysis import views as analysis_views
    from feedback.api import admin as api_admin
    from feedback.api import routes as api_routes
    from feedback.auth import views as auth_views
    from feedback.leads import scoring_views
    from feedback.leads import views as lead_views
    from feedback.notifications import views as notification_views
    from feedback.nurture import views as nurture_views
    from feedback.offers import views as offer_views
    from feedback.qr import views as qr_views
    from feedback.referrals import views as referral_views
    from feedback.respondent import views as respondent_views
    from feedback.surveys import builder as survey_builder
    from feedback.touchpoints import views as touchpoint_views
    from feedback.webhooks import views as webhook_views
    from feedback.winback import views as winback_views

    app.register_blueprint(health.bp)
    app.register_blueprint(respondent_views.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(auth_views.members_bp)
    app.register_blueprint(touchpoint_views.bp)
    app.register_blueprint(qr_views.codes_bp)
    app.register_blueprint(survey_builder.bp)
    app.register_blueprint(referral_views.dashboard_bp)
    app.register_blueprint(analysis_views.bp)
    app.register_blueprint(theme_views.bp)
    app.register_blueprint(segment_views.bp)
    app.register_blueprint(period_views.bp)
    app.register_blueprint(cohort_views.bp)
    app.register_blueprint(api_routes.bp)
    app.register_blueprint(api_admin.bp)
    app.register_blueprint(api_admin.docs_bp)
    app.register_blueprint(webhook_views.bp)
    app.register_blueprint(offer_views.bp)
    app.register_blueprint(lead_views.dashboard_bp)
    app.register_blueprint(scoring_views.bp)
    app.register_blueprint(notification_views.bp)
    app.register_blueprint(notification_views.unsubscribe_bp)
    app.register_blueprint(nurture_views.bp)
    app.register_blueprint(nurture_views.stop_bp)
    app.register_blueprint(winback_views.bp)
    api_routes.spec.register(app)


def register_errorhandlers(app: Flask) -> None:
    """Friendly error pages in the user's language."""
    from feedback.errors import register_errorhandlers as register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use."""
    from feedback import templating

    templating.init_app(app)


def register_caches(app: Flask) -> None:
    """What a process keeps in memory lives on the app (app.extensions): each gunicorn worker builds its own app.
    Caches, the group-commit writers, the fast lane's count of changes and the count of scans not stored."""
    from feedback import groupcommit
    from feedback.notifications import outbox
    from feedback.qr import fastpath
    from feedback.qr import services as qr_services
    from feedback.respondent import quick
    from feedback.webhooks import services as webhooks

    quick.init_app(app)
    webhooks.init_app(app)
    groupcommit.init_app(app)
    fastpath.init_app(app)
    qr_services.init_app(app)
    outbox.init_app(app)


def register_subscribers(app: Flask) -> None:
    """Who hears of domain events (feedback.events), in this order: coupons, lead scoring, the webhooks, the mail
    alerts, the nurture mails' stops, then what a member's new role or removal changes (API tokens, ownerships of
    campaigns and touchpoints)."""
    from feedback import events
    from feedback.api import services as api_tokens
    from feedback.leads import services as leads
    from feedback.notifications import subscribers as alerts
    from feedback.nurture import services as nurture
    from feedback.offers import services as offers
    from feedback.touchpoints import services as touchpoints
    from feedback.webhooks import subscribers as webhooks

    bus = events.init_app(app)
    offers.subscribe(bus)
    leads.subscribe(bus)
    webhooks.subscribe(bus)
    alerts.subscribe(bus)
    nurture.subscribe(bus)
    api_tokens.subscribe(bus)
    touchpoints.subscribe(bus)


def register_commands(app: Flask) -> None:
    """Command-line commands (feedback serve, demo, create-user; db comes with Flask-Migrate)."""
    from feedback import cli

    cli.init_app(app)


def install_fast_lane(app: Flask) -> None:
    """Repeat scans of an active code (feedback.qr.fastpath) and one-page survey completions
    (feedback.respondent.lane) are answered without Flask."""
    from feedback.qr import fastpath
    from feedback.respondent import lane

    fastpath.install(app)
    lane.install(app)


def install_security_headers(app: Flask) -> None:
    """Every answer carries the security headers (feedback.headers), whoever made it."""
    from feedback import headers

    headers.install(app)


def apply_proxy_fix(app: Flask) -> None:
    """Trust X-Forwarded-* headers from the configured number of reverse proxies."""
    hops = int(app.config.get("PROXY_HOPS", 0))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)
