#!/bin/sh
# Renders frontend/nginx.conf.in (the local run's nginx configuration, see
# docker/frontend.Dockerfile) for the container and runs nginx in the foreground.
# Usage: frontend-entrypoint.sh [--render-only SRC DST]   (tests/compose renders with it)
# Environment: DASHBOARD_PORT (3000, .env), PORTFOLIO_PORT/TRADER_PORT/ANALYZER_PORT (.env) and
# PORTFOLIO_UPSTREAM/TRADER_UPSTREAM/ANALYZER_UPSTREAM (host names; compose: the services).
set -eu

render() { # render SRC DST
    sed -e '/^[[:space:]]*#/d' \
        -e 's/{USER}//' \
        -e "s|{VAR}|${RT_NGINX_VAR:-/var/lib/rt-nginx}|g" \
        -e "s|{FRONTEND}|${RT_FRONTEND_DIR:-/srv/frontend}|g" \
        -e "s|listen 127\.0\.0\.1:{PORT}|listen ${DASHBOARD_PORT:-3000}|g" \
        -e "s|{PORT}|${DASHBOARD_PORT:-3000}|g" \
        -e "s|127\.0\.0\.1:{PORTFOLIO_PORT}|${PORTFOLIO_UPSTREAM:-portfolio}:${PORTFOLIO_PORT:-8000}|g" \
        -e "s|127\.0\.0\.1:{TRADER_PORT}|${TRADER_UPSTREAM:-trader}:${TRADER_PORT:-8001}|g" \
        -e "s|127\.0\.0\.1:{ANALYZER_PORT}|${ANALYZER_UPSTREAM:-analyzer}:${ANALYZER_PORT:-8002}|g" \
        "$1" >"$2"
    # Every placeholder must be gone; a new one in the template means this script needs it too.
    if grep -n '{[A-Z_]*}' "$2" >&2; then
        echo "frontend-entrypoint: unknown placeholder left in $2 (from $1)" >&2
        exit 1
    fi
}

if [ "${1:-}" = "--render-only" ]; then
    render "$2" "$3"
    exit 0
fi

src=/srv/frontend/nginx.conf.in
[ -f "$src" ] || src=/srv/frontend/nginx.conf
[ -f "$src" ] || { echo "frontend-entrypoint: frontend/nginx.conf.in not found" >&2; exit 1; }
render "$src" /etc/rt-nginx/nginx.conf
# -e stderr: the log nginx writes before it has read the configuration (the default path is
# not writable by www-data).
exec nginx -e stderr -c /etc/rt-nginx/nginx.conf
