"""Load generation with wrk: run it against one URL and read back throughput, latency and failures.

wrk is a small C load generator that keeps many connections busy from few
threads, so the machine's time goes to the server rather than the client.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
INSTALL_HINT = "wrk is not installed. Install it with `apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk`."


@dataclass(frozen=True)
class Result:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int  # responses other than 2xx/3xx, plus socket errors and timeouts
    statuses: dict[str, int] = field(default_factory=dict)  # only when the Lua script counts them
    rates: tuple[float, ...] = ()  # each round's requests/sec, when rounds were combined


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        sys.exit(INSTALL_HINT)
    return path


def run(
    url: str,
    *,
    duration: int,
    threads: int,
    connections: int,
    cookie: str | None = None,
    script: Path | None = None,
    script_args: list[str] | None = None,
) -> Result:
    """Load `url`. Connections close after each response: with keep-alive, wrk's connections are
    spread over gunicorn's workers once, at connect time, and all of them sometimes land on one."""
    command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s"]
    command += ["-H", "Connection: close"]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.exit(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    return parse(completed.stdout)


def _ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    return float(match.group(1)) * UNITS_MS[match.group(2)] if match else float("nan")


def parse(text: str) -> Result:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    statuses = re.search(r"^statuses: (.*)$", text, re.MULTILINE)
    failures = int(non_2xx.group(1)) if non_2xx else 0
    failures += sum(int(n) for n in sockets.groups()) if sockets else 0
    return Result(
        requests_per_second=float(rate.group(1)) if rate else 0.0,
        p50_ms=_ms(text, "50"),
        p99_ms=_ms(text, "99"),
        requests=int(total.group(1)) if total else 0,
        failures=failures,
        statuses={code: int(n) for code, n in (pair.split("=") for pair in statuses.group(1).split())}
        if statuses
        else {},
    )


def combine(rounds: list[Result]) -> Result:
    """Rounds of equal length as one result: mean throughput, median latencies, summed counts."""
    return Result(
        requests_per_second=statistics.fmean(r.requests_per_second for r in rounds),
        p50_ms=statistics.median(r.p50_ms for r in rounds),
        p99_ms=statistics.median(r.p99_ms for r in rounds),
        requests=sum(r.requests for r in rounds),
        failures=sum(r.failures for r in rounds),
        rates=tuple(r.requests_per_second for r in rounds),
    )
