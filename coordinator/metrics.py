"""What /metrics says, in Prometheus's text format (prometheus-client): counted as it happens, or read at scrape time.

Counted as it happens, in the process where it happens: each request (by route name, method and status,
and its latency; web/observing.py) and each pass of the dispatcher (texts and emails sent, provider errors
by code; jobs/runner.py). Under gunicorn each worker counts alone, so with PROMETHEUS_MULTIPROC_DIR set (the
same directory for every worker, and for the scheduler on that host) the counts are written to files there
and a scrape adds them up (`MultiProcessCollector`; gunicorn's `child_exit` hook marks a dead worker's files).

Read at scrape time from the database, so any web host can tell and the scrape costs a fixed three queries
(services/operations/figures.py): messages by channel and status, the outbox's due depth and the age of
its oldest due row, and each scheduler's heartbeat (the leader's age, its jobs' last durations).

The instruments are made on first use (`instruments()`), not at import.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from coordinator.services.operations.figures import Figures

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Instruments:
    requests: Counter
    latency: Histogram
    sent: Counter
    provider_errors: Counter


@cache
def instruments() -> Instruments:
    return Instruments(
        requests=Counter(
            "coordinator_http_requests",
            "Requests answered, by route name, method and status.",
            ["endpoint", "method", "status"],
        ),
        latency=Histogram(
            "coordinator_http_request_duration_seconds",
            "Time to answer a request, by route name.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
        ),
        sent=Counter("coordinator_dispatch_sent", "Texts and emails the dispatcher handed to the provider."),
        provider_errors=Counter(
            "coordinator_dispatch_provider_errors",
            "Sends the provider refused or failed, by its error code.",
            ["code"],
        ),
    )


def request_observe(*, endpoint: str, method: str, status: int, seconds: float) -> None:
    tools = instruments()
    tools.requests.labels(endpoint=endpoint, method=method, status=str(status)).inc()
    tools.latency.labels(endpoint=endpoint).observe(seconds)


def dispatch_observe(*, sent: int, error_codes: dict[str, int]) -> None:
    tools = instruments()
    if sent:
        tools.sent.inc(sent)
    for code, count in error_codes.items():
        tools.provider_errors.labels(code=code or "none").inc(count)


def exposition(figures: Figures, *, multiprocess_dir: str | None) -> bytes:
    """The whole scrape: the counters (every worker's, when multiprocess) then the figures read just now."""
    instruments()  # so a scrape before any request still names every series
    if multiprocess_dir:
        counted = CollectorRegistry()
        MultiProcessCollector(counted, path=multiprocess_dir)
    else:
        counted = REGISTRY
    read_now = CollectorRegistry()
    read_now.register(_FiguresCollector(figures))
    return generate_latest(counted) + generate_latest(read_now)


class _FiguresCollector:
    """The database's figures as gauges (a collector is how prometheus-client takes values read elsewhere)."""

    def __init__(self, figures: Figures):
        self.figures = figures

    def collect(self):
        figures = self.figures
        yield GaugeMetricFamily(
            "coordinator_database_up", "1 when the database answered this scrape.", value=int(figures.database_up)
        )
        if not figures.database_up:
            return
        messages = GaugeMetricFamily(
            "coordinator_messages",
            "Texts and emails in the outbox's table, by channel and status.",
            labels=["channel", "status"],
        )
        for (channel, status), count in sorted(figures.messages.items()):
            messages.add_metric([channel, status], count)
        yield messages
        yield GaugeMetricFamily("coordinator_outbox_due", "Messages pending and due now.", value=figures.due)
        yield GaugeMetricFamily(
            "coordinator_outbox_oldest_due_age_seconds",
            "How long the oldest due message has waited (0: none).",
            value=figures.oldest_due_seconds,
        )
        yield from self._schedulers()

    def _schedulers(self):
        figures = self.figures
        instances = GaugeMetricFamily(
            "coordinator_scheduler_instances",
            "Scheduler processes whose heartbeat is in the table, by role.",
            labels=["role"],
        )
        instances.add_metric(["leader"], figures.leaders)
        instances.add_metric(["standby"], figures.standbys)
        yield instances
        if figures.leader_age_seconds is not None:
            yield GaugeMetricFamily(
                "coordinator_scheduler_leader_heartbeat_age_seconds",
                "Seconds since the leader's last heartbeat.",
                value=figures.leader_age_seconds,
            )
        durations = GaugeMetricFamily(
            "coordinator_scheduler_job_duration_seconds", "How long each job's last run took.", labels=["job"]
        )
        started = GaugeMetricFamily(
            "coordinator_scheduler_job_last_started_timestamp_seconds",
            "When each job last started (Unix time).",
            labels=["job"],
        )
        succeeded = GaugeMetricFamily(
            "coordinator_scheduler_job_last_ok", "1 if each job's last run finished without an error.", labels=["job"]
        )
        for job in figures.jobs:
            durations.add_metric([job.job_id], job.seconds)
            started.add_metric([job.job_id], job.started_at)
            succeeded.add_metric([job.job_id], 1.0 if job.ok else 0.0)
        yield from (durations, started, succeeded)
