"""One error page for people, JSON errors for the API; a failed request writes nothing."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .services.errors import DomainError

logger = logging.getLogger(__name__)

_CSRF_MESSAGE = ("This form has expired or did not come from this site. Go back, reload the "
                 "page and send it again.")


def _wants_json() -> bool:
    return (request.blueprint or "").startswith("api") or request.path.startswith("/api/")


def _respond(status: int, code: str, message: str, headers: dict | None = None):
    if _wants_json():
        return jsonify(error=code, message=message), status, headers or {}
    return (render_template("errors/error.html", status=status, message=message), status,
            headers or {})


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        db.session.rollback()
        return _respond(exc.status, exc.code, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        db.session.rollback()
        return _respond(400, "csrf_failed", _CSRF_MESSAGE)

    @app.errorhandler(413)
    def _too_large(exc: HTTPException):
        db.session.rollback()
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return _respond(413, "too_large",
                        f"The upload is larger than the {limit / (1024 * 1024):.1f} MB this site "
                        "accepts. Split the file and send the parts one after the other.")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        db.session.rollback()
        code = (exc.name or "error").lower().replace(" ", "_")
        # Keep headers such as Allow (405) and Retry-After (429).
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return _respond(exc.code or 500, code, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _respond(500, "internal_error",
                        "Something went wrong on our side; nothing was saved. Try again, and "
                        "tell an organiser if it keeps happening.")

    @app.teardown_request
    def _rollback_unfinished(exc):
        if exc is not None:
            db.session.rollback()

