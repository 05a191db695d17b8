# coldbench's action image: the coldbench binary plus the toolchains that build Lambda handlers
# (Go, Rust with cargo-lambda for arm64, Deno, Node.js, Python, Bun) and the reference handlers. Built for linux/amd64
# and linux/arm64; on arm64 runners (ubuntu-24.04-arm) the timings are native.
#
# Released actions reference the published image (docker://ghcr.io/coldbench/coldbench:<version>),
# so a workflow pulls it instead of building it; `uses: ./` builds this file (dogfood, forks).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY pkg ./pkg
COPY handlers ./handlers
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/coldbench/coldbench/pkg/cli.Version=${VERSION}" \
      -o /out/coldbench ./cmd/coldbench

FROM golang:${GO_VERSION}-bookworm
ARG RUST_VERSION=1.95.0
ARG DENO_VERSION=2.9.6
ARG CARGO_LAMBDA_VERSION=1.9.2
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH \
    COLDBENCH_HANDLERS_DIR=/opt/coldbench/handlers \
    COLDBENCH_TOOLS=/opt/coldbench/tools \
    GOTOOLCHAIN=auto
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl git unzip zip python3-pip npm \
      make cmake autoconf automake libtool g++ valgrind \
 && rm -rf /var/lib/apt/lists/* \
 && npm install -g --no-audit --no-fund npm@11
# Rust with both Lambda targets; cargo-lambda (zig) links arm64 binaries against an old glibc.
RUN curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --no-modify-path --profile minimal \
      --default-toolchain "${RUST_VERSION}" --target aarch64-unknown-linux-gnu --target x86_64-unknown-linux-gnu \
 && pip3 install --no-cache-dir --break-system-packages "cargo-lambda==${CARGO_LAMBDA_VERSION}"
# Deno for this image's arch (npm links it into /usr/local/bin), and the arm64 binary that goes
# into arm64 run packages. GOTOOLCHAIN=auto lets a handler's go.mod pick its own Go.
RUN mkdir -p /opt/coldbench/tools/deno-arm64 \
 && npm install -g --no-audit --no-fund "deno@${DENO_VERSION}" \
 && cd /opt/coldbench/tools/deno-arm64 \
 && npm pack --silent "@deno/linux-arm64-glibc@${DENO_VERSION}" \
 && tar -xzf deno-linux-arm64-glibc-*.tgz && mv package/deno . && rm -rf package ./*.tgz \
 && deno --version
# The managed runtimes (Node.js 24 with aws-lambda-ric, awslambdaric for the image's CPython 3.11),
# Bun for both arches and esbuild, into COLDBENCH_TOOLS, as scripts/setup.sh does on a machine.
COPY scripts/setup-runtimes.sh scripts/tools-dir.sh /opt/coldbench/scripts/
RUN mkdir -p /opt/coldbench/scripts && cd /opt/coldbench && bash scripts/setup-runtimes.sh \
 && ln -sf /opt/coldbench/tools/bin/bun /opt/coldbench/tools/bin/esbuild /usr/local/bin/
COPY handlers /opt/coldbench/handlers
COPY --from=build /out/coldbench /usr/local/bin/coldbench
# The reference handlers are the same for every user of this version: built once here (the arm64
# artifact that ships and this image's arch's timed one), so a pull request's check builds only its
# own handler. A run reuses them while their source and toolchain match, and builds otherwise.
ENV COLDBENCH_REFERENCES_DIR=/opt/coldbench/references
RUN coldbench build-references --out /opt/coldbench/references \
 && rm -rf /var/cache/coldbench
ENTRYPOINT ["/usr/local/bin/coldbench"]
