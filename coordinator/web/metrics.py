"""GET /metrics: Prometheus's text format, for the addresses the host allows (METRICS_ALLOWED_IPS) and no one else.

Anyone else gets the same 404 as a page that doesn't exist. The address is the client's as ProxyFix
sets it (TRUSTED_PROXIES), so behind nginx it is the scraper's, not the proxy's. What the scrape says
is coordinator/metrics.py; the database's part is services/operations/figures.py (three queries).
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from config import ConfigError
from coordinator.metrics import exposition
from coordinator.services.operations.figures import figures_read_or_down

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    if not address_allowed(request.remote_addr, current_app.config["METRICS_ALLOWED_IPS"]):
        abort(404)
    body = exposition(figures_read_or_down(), multiprocess_dir=current_app.config["PROMETHEUS_MULTIPROC_DIR"])
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def address_allowed(address: str | None, allowed: str) -> bool:
    """Whether `address` is inside one of the comma-separated networks in `allowed`."""
    try:
        client = ip_address(address or "")
    except ValueError:
        return False
    if client.version == 6 and client.ipv4_mapped is not None:
        client = client.ipv4_mapped
    return any(client in network for network in allowed_networks(allowed) if network.version == client.version)


def allowed_networks(allowed: str) -> list[IPv4Network | IPv6Network]:
    """The networks METRICS_ALLOWED_IPS names; checked when the app is built, so a typo stops it starting."""
    try:
        return [ip_network(part.strip(), strict=False) for part in allowed.split(",") if part.strip()]
    except ValueError as error:
        raise ConfigError(f"METRICS_ALLOWED_IPS must be addresses or networks like 10.0.0.0/8: {error}") from None
