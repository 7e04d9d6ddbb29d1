"""Liveness and readiness endpoints for load balancers, and the site's icon (browsers ask for /favicon.ico on
every first visit)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, send_from_directory

from feedback.extensions import db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/favicon.ico")
@limiter.exempt
def favicon():
    """The icon, an SVG (every current browser takes one under this name), kept by browsers for a week."""
    folder = current_app.static_folder or "static"
    return send_from_directory(folder, "favicon.svg", mimetype="image/svg+xml", max_age=7 * 24 * 3600)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """The process is alive and answering; and how many scans it served without storing them (database read-only
    or unreachable), which a monitor should alert on."""
    from feedback.qr.services import scans_not_stored

    return jsonify(status="ok", scans_not_stored=scans_not_stored())


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """The database answers a query; a 503 tells the load balancer to send traffic elsewhere."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        log.exception("readiness check failed")
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
