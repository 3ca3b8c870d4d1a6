"""Operations: what the running service says about itself. Each scheduler's heartbeat, whether this host is
ready for traffic (/readyz), and the figures /metrics reads from the database at scrape time."""
