#!/bin/sh
# The release step, on each app host (as root), once the new code is in /srv/coordinator:
#   sudo /srv/coordinator/deploy/release.sh
# Installs the locked requirements (only when they changed), migrates (safe from several hosts at once:
# `db upgrade` takes a lock, so a second host waits, then finds nothing to do), restarts the scheduler and
# reloads gunicorn (new workers on the new code; requests in flight finish). Stops at the first failure.
set -eu

APP_DIR=${APP_DIR:-/srv/coordinator}
cd "$APP_DIR"

# As the service's user, with exactly the units' settings (systemd reads /etc/coordinator/env as they do).
as_service() {
    systemd-run --quiet --wait --pipe --collect --uid=coordinator --gid=coordinator \
        -p EnvironmentFile=/etc/coordinator/env -p WorkingDirectory="$APP_DIR" "$@"
}

runuser -u coordinator -- make install
as_service "$APP_DIR/.venv/bin/flask" --app wsgi db upgrade
systemctl restart coordinator-scheduler
systemctl reload coordinator-web
echo "Released $(git rev-parse --short HEAD). Check: curl -fsS http://127.0.0.1:8000/readyz"
