# syntax=docker/dockerfile:1
# The ktriage image: `ktriage` on a small Debian base, run as a non-root user.
#
#   docker build -t ktriage:0.1.0 .
#   docker run --rm -v "$PWD/bundles:/bundles:ro" ktriage:0.1.0 analyze /bundles
#
# Debian slim rather than distroless: the Jobs in deploy/ run ktriage through `sh -c` (exit
# status 1, "findings", is a success there), and `kubectl cp` into the loader pod needs `tar`.
# The collector is not in the image: it runs where kubectl and a kubeconfig are, not in the cluster.

ARG RUST_VERSION=1.89
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Only what the build reads (.dockerignore keeps target/, fixtures and samples out). make and
# a C compiler, which jemalloc and liblzma build with, come with the rust image. jemalloc keeps
# the memory of a run over many bundles flat (Cargo.toml).
COPY Cargo.toml Cargo.lock ./
COPY .cargo/ .cargo/
COPY src/ src/
COPY crates/ crates/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --features jemalloc \
    && install -D -m 0755 target/release/ktriage /out/ktriage

FROM debian:${DEBIAN_RELEASE}-slim
# A fixed numeric user, so Kubernetes' runAsNonRoot can check it (the manifests use 65532 too).
RUN groupadd --gid 65532 ktriage \
    && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin ktriage
COPY --from=build /out/ktriage /usr/local/bin/ktriage
USER 65532:65532
# Where a run over many bundles spills its findings; the manifests mount an emptyDir here,
# since the root file system is read-only there.
ENV TMPDIR=/tmp
WORKDIR /tmp
ENTRYPOINT ["ktriage"]
CMD ["--help"]
