"""What the running service says about itself: each scheduler process's heartbeat.

Every scheduler process (the leader and any standbys) writes its row every few
seconds; the leader's row also carries how its jobs last ran. `/readyz` and
`/metrics` on any web host read these rows, so a load balancer and Prometheus
see whether a scheduler is alive without reaching into another machine. The
instance name is the host name and process id (no personal data).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.clock import now
from coordinator.models.base import Base, UTCDateTime


class SchedulerHeartbeat(Base):
    __tablename__ = "scheduler_heartbeats"

    instance: Mapped[str] = mapped_column(String(100), primary_key=True)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    # {job_id: {"last_started_at": iso, "seconds": float, "ok": bool}} for the leader's jobs.
    jobs: Mapped[dict] = mapped_column(JSON, default=dict)
