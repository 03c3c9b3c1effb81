# Pstral: build with the Rust toolchain, run from a small Debian image as a
# non-root user. `docker compose up` (docker-compose.yml) runs it beside
# Ollama and PostgreSQL.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pstral \
 && cp target/release/pstral /usr/local/bin/pstral

FROM debian:bookworm-slim AS runtime
# The data directory exists, owned by the bot's user, before VOLUME: a new
# named volume takes its owner from it (created by VOLUME alone, it would be
# root's, and the bot could not write its database).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/pstral pstral \
 && mkdir -p /var/lib/pstral/data \
 && chown pstral:pstral /var/lib/pstral/data \
 && chmod 0700 /var/lib/pstral/data
COPY --from=build /usr/local/bin/pstral /usr/local/bin/pstral
USER pstral
WORKDIR /var/lib/pstral
# The SQLite database (when no database.url is set) and other state live here.
ENV PSTRAL__GENERAL__DATA_DIR=/var/lib/pstral/data
VOLUME ["/var/lib/pstral/data"]
# `pstral health` asks the admin endpoint's /readyz (no curl in the image).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["pstral", "health"]
# The bot waits up to general.shutdown_grace (30 s) for answers in flight:
# give it longer than that before SIGKILL (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--", "pstral"]
CMD ["run"]

# The same image able to Execute on Oracle: Oracle's Instant Client (Basic
# or Basic Light, a zip that Oracle's licence lets you download but not
# redistribute) installed at build time from a file you provide:
#   cp instantclient-basiclite-linux.x64-23.*.zip deploy/oracle/instantclient.zip
#   docker build --target oracle -t pstral:oracle .
FROM runtime AS oracle
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends libaio1 unzip \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/oracle/instantclient.zip /tmp/instantclient.zip
RUN mkdir -p /opt/oracle \
 && unzip -q /tmp/instantclient.zip -d /opt/oracle \
 && rm /tmp/instantclient.zip \
 && ln -s /opt/oracle/instantclient_* /opt/oracle/instantclient \
 && echo /opt/oracle/instantclient > /etc/ld.so.conf.d/oracle-instantclient.conf \
 && ldconfig
ENV LD_LIBRARY_PATH=/opt/oracle/instantclient
USER pstral

# Without --target, the image without Oracle's client.
FROM runtime
