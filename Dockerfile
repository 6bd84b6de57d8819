# keyward in a container. Not built in this project's CI (there is no Docker daemon there): kept
# short so that it can be checked by reading. Build: `docker build -t keyward .`
# Run: `docker run -p 8080:8080 -v keyward-data:/var/lib/keyward keyward`; the first start prints
# the root key (or writes it to /var/lib/keyward/root.key with KEYWARD_ROOT_KEY_FILE set). Give
# it a pepper (a file mounted read-only, KEYWARD_PEPPER_FILE=/run/secrets/pepper) before real use.

# The builder: the workspace's toolchain floor is Rust 1.85; any newer stable builds it too.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --profile deb -p keyward --bin keyward \
 && cp target/deb/keyward /usr/local/bin/keyward

# The runtime: Debian slim, the binary, an unprivileged user, a volume for the database.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --home-dir /var/lib/keyward --shell /usr/sbin/nologin keyward \
 && install -d -m 0700 -o keyward -g keyward /var/lib/keyward
COPY --from=build /usr/local/bin/keyward /usr/bin/keyward
USER keyward
WORKDIR /var/lib/keyward
VOLUME ["/var/lib/keyward"]
ENV KEYWARD_LISTEN=0.0.0.0:8080 \
    KEYWARD_DATABASE_URL=sqlite:///var/lib/keyward/keyward.db
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/usr/bin/keyward"]
CMD ["serve"]
