# frontend: the dashboard (frontend/) served by nginx, which also proxies /api/portfolio/,
# /api/trader/ and /api/analyzer/ to the services, as in the local run.
# Built from the repository root:  docker build -f docker/frontend.Dockerfile .
#
# Contract with frontend/ (written by the frontend's engineer): frontend/nginx.conf.in (or
# frontend/nginx.conf) is the one nginx configuration of the local run, with the placeholders
# {USER} {VAR} {FRONTEND} {PORT} {PORTFOLIO_PORT} {TRADER_PORT} {ANALYZER_PORT} that ./rt fills
# in, and the services reached at 127.0.0.1:{X_PORT}. docker/frontend-entrypoint.sh renders the
# same file at start, with the services' compose host names instead of 127.0.0.1.

FROM debian:bookworm-slim AS build
# The chart library comes from npm (package.json / package-lock.json of frontend/).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/frontend
COPY frontend/ /srv/frontend/
RUN if [ -f package-lock.json ]; then npm ci --omit=dev --no-audit --no-fund; \
    elif [ -f package.json ]; then npm install --omit=dev --no-audit --no-fund; fi

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light curl \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/rt-nginx/run /var/lib/rt-nginx/log /etc/rt-nginx \
       /var/lib/rt-nginx/nginx/body /var/lib/rt-nginx/nginx/proxy /var/lib/rt-nginx/nginx/fastcgi \
       /var/lib/rt-nginx/nginx/uwsgi /var/lib/rt-nginx/nginx/scgi \
    && ln -sf /dev/stderr /var/lib/rt-nginx/log/nginx-error.log \
    && ln -sf /dev/stdout /var/lib/rt-nginx/log/nginx-access.log \
    && chown -R www-data:www-data /var/lib/rt-nginx /etc/rt-nginx
COPY --from=build /srv/frontend /srv/frontend
COPY docker/frontend-entrypoint.sh /usr/local/bin/frontend-entrypoint.sh
USER www-data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${DASHBOARD_PORT:-3000}/" >/dev/null || exit 1
ENTRYPOINT ["/bin/sh", "/usr/local/bin/frontend-entrypoint.sh"]
