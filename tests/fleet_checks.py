"""What the fleet test checks afterwards, straight in the database, the fakes and the recorded answers.

Claims against capacity, the outbox against what the fake Twilio got, 5xx by time around the kill,
the guesses' statuses and hosts, and whether the standby scheduler took over and ran a job.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from tests.fleet import Browser, Hit, Record
from tests.fleet_seed import REMINDERS, Seeded
from tests.waiting import wait_until

WINDOW = (-2.0, 8.0)  # seconds around the kill in which a 5xx is forgiven (requests the dead host had)
LEFT_DUE = "(status = 'pending' AND due_at <= :now) OR status IN ('sending', 'unknown')"


@dataclass
class Figures:
    seeded: Seeded
    ports: list[int]
    pins: dict[int, str]
    reminders: int = 0
    guesses: list[Hit | None] = field(default_factory=list)
    killed_at: float = 0.0
    load_seconds: float = 0.0
    people: int = 0
    takeover: dict = field(default_factory=dict)
    record: Record = field(default_factory=Record)
    fake_requests: int = 0
    fake_messages: list[dict] = field(default_factory=list)
    emails_received: int = 0


@dataclass
class Summary:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(["fleet figures:", *("  " + line for line in self.lines)])

    def check(self, ok: bool, failure: str) -> None:
        if not ok:
            self.failures.append(failure)


def pins_for(stage, ports: list[int]) -> dict[int, str]:
    """A balancing key for each host: nginx hashes X-Fleet-Pin, so try keys until each host has one."""
    browser = Browser(stage.base, stage.cert, "127.0.5.1", Record())
    try:
        up = wait_until(lambda: (a := browser.request("GET", "/healthz", "probe")) is not None and a.ok, seconds=60)
        if not up:
            return {}
        found: dict[int, str] = {}
        for n in range(200):
            answer = browser.request("GET", "/healthz", "probe", pin=f"pin-{n}")
            port = int(answer.headers.get("X-Fleet-Upstream", ":0").rpartition(":")[2]) if answer is not None else 0
            found.setdefault(port, f"pin-{n}")
            if all(p in found for p in ports):
                return {p: found[p] for p in ports}
        return {}
    finally:
        browser.close()


def outbox_left(url: str) -> int:
    """Texts and emails due and not settled: pending past their time, or held by a sender right now."""
    from coordinator.clock import now

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text(f"SELECT count(*) FROM messages WHERE {LEFT_DUE}"), {"now": now()}
            ).scalar()
    finally:
        engine.dispose()


def takeover_evidence(standby, seeded: Seeded, killed_at: float) -> dict:
    """When the standby said it was active, whether it ran a job (the expired invitation), and the heartbeats."""
    took = wait_until(lambda: standby.said("This scheduler is active.", after=killed_at), seconds=60)
    engine = sa.create_engine(seeded.url)
    try:
        with engine.connect() as connection:

            def expired() -> bool:
                query = "SELECT count(*) FROM invitations WHERE name = 'Expired' AND status = 'expired'"
                return connection.execute(sa.text(query)).scalar() == 1

            ran_a_job = bool(wait_until(expired, seconds=60, every=0.2))
            beats = connection.execute(sa.text("SELECT instance, leader, beat_at FROM scheduler_heartbeats")).all()
    finally:
        engine.dispose()
    return {
        "seconds": (took - killed_at) if took else None,
        "ran_a_job": ran_a_job,
        "standby_pid": standby.proc.pid,
        "heartbeats": [tuple(row) for row in beats],
    }


def verdicts(figures: Figures, url: str) -> Summary:
    summary = Summary()
    _load(figures, summary)
    _server_errors(figures, summary)
    _guessing(figures, summary)
    _claims(url, summary)
    _texts(figures, url, summary)
    _takeover(figures, summary)
    return summary


def _load(figures: Figures, summary: Summary) -> None:
    hits = figures.record.hits
    statuses = Counter(hit.status for hit in hits)
    kinds = Counter(hit.what for hit in hits)
    summary.lines.append(f"people {figures.people}, load {figures.load_seconds:.0f} s, requests {len(hits)}")
    summary.lines.append("statuses " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    summary.lines.append("requests by kind " + ", ".join(f"{k}: {n}" for k, n in kinds.most_common()))
    if figures.record.problems:
        summary.lines.append(f"client-side problems {len(figures.record.problems)}: {figures.record.problems[:5]}")
    summary.check(figures.people >= 50, f"only {figures.people} people")
    summary.check(figures.load_seconds >= 60, f"the load ran {figures.load_seconds:.0f} s, under a minute")
    unexpected = {s: n for s, n in statuses.items() if s not in (200, 302, 422, 429) and s < 500 and s != 0}
    summary.check(not unexpected, f"answers no person should get: {unexpected}")
    dead, alive = (f"127.0.0.1:{port}" for port in figures.ports)
    before = Counter(h.upstream for h in hits if h.at < figures.killed_at and h.upstream in (dead, alive))
    late = figures.killed_at + WINDOW[1]
    after = Counter(h.upstream.rpartition(", ")[2] for h in hits if h.at > late and h.upstream)
    summary.lines.append(f"served before the kill {dict(before)}; after it {dict(after)}")
    summary.check(before[dead] > 0 and before[alive] > 0, f"both hosts should serve before the kill: {dict(before)}")
    summary.check(set(after) == {alive}, f"only the surviving host should answer after the kill: {dict(after)}")


def _server_errors(figures: Figures, summary: Summary) -> None:
    errors = [h for h in figures.record.hits if h.status >= 500 or h.status == 0]
    inside = [h for h in errors if WINDOW[0] <= h.at - figures.killed_at <= WINDOW[1]]
    outside = [h for h in errors if h not in inside]
    summary.lines.append(
        f"5xx or no answer: {len(inside)} within {WINDOW[0]:+.0f}..{WINDOW[1]:+.0f} s of the kill, {len(outside)} outside"
    )
    for hit in errors:
        summary.lines.append(
            f"  {hit.at - figures.killed_at:+7.2f} s  {hit.status}  {hit.what}  via {hit.upstream or '-'}"
        )
    summary.check(not outside, f"{len(outside)} 5xx outside the window around the kill")


def _guessing(figures: Figures, summary: Summary) -> None:
    hosts = {pin: port for port, pin in figures.pins.items()}
    expected_hosts = [hosts[pin] for pin in [figures.pins[p] for p in figures.ports * 3]]
    expected_hosts += expected_hosts[:2]
    got = [(h.status, int(h.upstream.rpartition(":")[2] or 0)) if h else (0, 0) for h in figures.guesses]
    summary.lines.append("guesses (status, host port): " + ", ".join(f"{s}@{p}" for s, p in got))
    summary.check([s for s, _ in got] == [422] * 5 + [429] * 3, f"five wrong passwords, then refused: {got}")
    summary.check([p for _, p in got] == expected_hosts, f"each guess should reach the host it named: {got}")


def _claims(url: str, summary: Summary) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT t.id, t.capacity, t.claimed, "
                    "(SELECT count(*) FROM claims c WHERE c.task_id = t.id AND c.status IN ('held', 'done')) AS live "
                    "FROM tasks t ORDER BY t.id"
                )
            ).all()
            made = connection.execute(sa.text("SELECT count(*) FROM claims")).scalar()
            released = connection.execute(sa.text("SELECT count(*) FROM claims WHERE status = 'released'")).scalar()
    finally:
        engine.dispose()
    held = sum(row.live for row in rows)
    places = sum(row.capacity for row in rows)
    summary.lines.append(f"claims made {made}, given back {released}, held now {held} of {places} places")
    bad = [tuple(row) for row in rows if not (row.claimed == row.live <= row.capacity)]
    summary.check(not bad, f"tasks oversold or miscounted (id, capacity, claimed, live claims): {bad}")
    summary.check(made > places, f"only {made} claims for {places} places: nobody raced")


def _texts(figures: Figures, url: str, summary: Summary) -> None:
    from coordinator.clock import now

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT channel, status, provider_id, body FROM messages")).all()
            left = connection.execute(
                sa.text(f"SELECT count(*) FROM messages WHERE {LEFT_DUE}"), {"now": now()}
            ).scalar()
    finally:
        engine.dispose()
    texts = [r for r in rows if r.channel == "sms"]
    sent = [r for r in texts if r.status in ("sent", "delivered")]
    by_status = Counter(r.status for r in texts)
    received = Counter(m["sid"] for m in figures.fake_messages)
    fleet_bodies = Counter(m["body"] for m in figures.fake_messages if m["body"].startswith("Fleet reminder"))
    emails_sent = sum(1 for r in rows if r.channel == "email" and r.status in ("sent", "delivered"))
    summary.lines.append(f"texts by status {dict(by_status)}; fake Twilio got {len(figures.fake_messages)}")
    summary.lines.append(
        f"fake Twilio requests {figures.fake_requests}; emails sent {emails_sent}, received {figures.emails_received}"
    )
    summary.check(left == 0, f"{left} texts or emails still due")
    summary.check(by_status["failed"] == 0, f"{by_status['failed']} texts failed")
    summary.check(
        len(figures.fake_messages) == len(sent),
        f"{len(figures.fake_messages)} texts reached Twilio for {len(sent)} sent rows",
    )
    summary.check(
        {r.provider_id for r in sent} == set(received), "sent rows and Twilio's messages do not match one to one"
    )
    summary.check(set(received.values()) <= {1}, "a Twilio message id twice")
    summary.check(
        len(fleet_bodies) == REMINDERS and set(fleet_bodies.values()) == {1},
        f"the {REMINDERS} reminders not once each: {len(fleet_bodies)} bodies, {sum(fleet_bodies.values())} sent",
    )
    summary.check(
        emails_sent == figures.emails_received, f"{emails_sent} emails sent, {figures.emails_received} received"
    )


def _takeover(figures: Figures, summary: Summary) -> None:
    took = figures.takeover
    seconds = took.get("seconds")
    summary.lines.append(
        f"standby took over after {seconds:.1f} s" if seconds is not None else "standby never took over"
    )
    summary.lines.append(f"it ran a job after the kill (expired an invitation): {took.get('ran_a_job')}")
    summary.lines.append(f"heartbeats {took.get('heartbeats')}")
    summary.check(seconds is not None, "the standby scheduler never said it was active after the kill")
    summary.check(bool(took.get("ran_a_job")), "no scheduler ran expire_invitations after the kill")
    standby = [row for row in took.get("heartbeats", []) if row[0].endswith(f":{took.get('standby_pid')}")]
    if took.get("heartbeats"):  # written once the scheduler beats (issue 13): the survivor must be the leader
        summary.check(bool(standby) and standby[0][1], f"the survivor's heartbeat should say leader: {standby}")
