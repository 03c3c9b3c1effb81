# Pstral: build with the Rust toolchain, run from a small Debian image as a
# non-root user. `docker compose up` (docker-compose.yml) runs it beside
# Ollama and PostgreSQL.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pstral \
 && cp target/release/pstral /usr/local/bin/pstral

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/pstral pstral
COPY --from=build /usr/local/bin/pstral /usr/local/bin/pstral
COPY config/ /etc/pstral/
USER pstral
WORKDIR /var/lib/pstral
# The SQLite database (when no database.url is set) and other state live here.
ENV PSTRAL__GENERAL__DATA_DIR=/var/lib/pstral/data
VOLUME ["/var/lib/pstral/data"]
ENTRYPOINT ["tini", "--", "pstral"]
CMD ["run"]
