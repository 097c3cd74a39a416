"""Security headers on every response, set in one place.

- A Content-Security-Policy with no inline script or style (the pages' one script is
  ``static/js/report-progress.js``; styles are ``static/css/app.css``), so injected markup
  cannot run; ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` so no other site can
  frame the approve, cancel and role buttons under a decoy (clickjacking).
- ``nosniff``, and a ``Referrer-Policy`` that sends a referrer to this site only (Flask-WTF
  compares it with the host on HTTPS form posts, so ``no-referrer`` would break them).
- HSTS when the request came over HTTPS (behind a proxy, ``PREFERRED_URL_SCHEME=https``).
- ``Cache-Control: no-store`` on anything with personal data: every response to a logged-in
  user or an API token, and every PDF or CSV, so neither a shared cache nor the browser's disk
  keeps them. Static files stay cacheable.

A few lines here rather than Flask-Talisman: one more dependency for five headers, and its
per-request nonces are not needed once no template has inline script or style.
WeasyPrint renders the PDF reports server-side from their own template and is unaffected.
"""
from __future__ import annotations

from flask import Flask, request
from flask_login import current_user

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # data: for the empty favicon in base.html
    "connect-src 'self'",    # the reports page polls its jobs' progress
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"
#: Responses that carry people's data whoever asks.
_PERSONAL_TYPES = ("text/csv", "application/pdf")


def _has_personal_data(response) -> bool:
    if request.endpoint == "static":
        return False
    if response.mimetype in _PERSONAL_TYPES or "Authorization" in request.headers:
        return True
    return current_user.is_authenticated


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure or app.config.get("PREFERRED_URL_SCHEME") == "https":
            headers.setdefault("Strict-Transport-Security", HSTS)
        if _has_personal_data(response):
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response
