"""Response headers every page gets, and the check that keeps `next=` on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response, *, hsts: bool) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.view_args and "token" in request.view_args:
        # The address carries a secret (reset, invitation, sign-in, answer and feed links): never send it on.
        headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if hsts:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if (
        current_user.is_authenticated
        and request.endpoint != "static"
        and "no-store" not in headers.get("Cache-Control", "")
    ):
        headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    hsts = bool(app.config["HSTS_ENABLED"])
    app.after_request(lambda response: add_security_headers(response, hsts=hsts))


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Only relative paths starting with a single "/" pass: no scheme, no host,
    no "//evil.example" or "/\\evil.example" that browsers treat as a host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
