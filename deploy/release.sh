#!/bin/sh
# The release step, on each app host (as root), once the new code is in /srv/coordinator:
#   sudo /srv/coordinator/deploy/release.sh
# Installs the locked requirements (only when they changed), migrates (safe from several hosts at once:
# `db upgrade` takes a lock, so a second host waits, then finds nothing to do), restarts the scheduler and
# reloads gunicorn (new workers on the new code; requests in flight finish). Stops at the first failure.
set -eu

APP_DIR=${APP_DIR:-/srv/coordinator}
cd "$APP_DIR"

runuser -u coordinator -- make install
"$APP_DIR/deploy/flask" db upgrade  # as the service, with the units' settings
systemctl restart coordinator-scheduler
systemctl reload coordinator-web
echo "Released $(git rev-parse --short HEAD). Check: curl -fsS http://127.0.0.1:8000/readyz"
