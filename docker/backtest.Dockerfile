# rt-backtest: replays candles from CSV through the same cores (a command, not a service)
# Built from the repository root:  docker build -f docker/backtest.Dockerfile .
# (docker-compose.yml does this). Two stages: the build stage runs the very CMake commands of
# `./rt build` (tests/compose/test_compose.py runs both and compares them); the runtime stage
# holds only the shared libraries the binaries link against and runs as a non-root user.
# The build stage is the same in every docker/*.Dockerfile, so the builder builds it once.

FROM debian:bookworm-slim AS build
# The build half of ./rt's RT_DEB_PACKAGES (the servers are separate containers).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       build-essential cmake pkg-config \
       libhiredis-dev libjansson-dev libwebsockets-dev libcurl4-openssl-dev libssl-dev \
       libmicrohttpd-dev libcmocka-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
# Same as ./rt build: build_step "$ROOT/build" 0, jobs = RT_JOBS or nproc.
ARG RT_JOBS=
RUN cmake -S /src -B /src/build >/dev/null \
    && cmake --build /src/build -j"${RT_JOBS:-$(nproc)}"

FROM debian:bookworm-slim AS runtime
# Runtime libraries only (the -dev packages' shared objects), curl for the healthcheck,
# ca-certificates for TLS to the real exchange.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libhiredis0.14 libpq5 libjansson4 libwebsockets17 libcurl4 libssl3 libmicrohttpd12 \
       ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /opt/rt --no-create-home \
       --shell /usr/sbin/nologin rt
COPY --from=build /src/build/bin/rt-backtest /usr/local/bin/rt-backtest
# --fetch runs rt-backtest-fetch from rt-backtest's own folder (the REST client's libraries
# are loaded only by it)
COPY --from=build /src/build/bin/rt-backtest-fetch /usr/local/bin/rt-backtest-fetch

WORKDIR /opt/rt
USER rt
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/rt-backtest"]
