# syntax=docker/dockerfile:1
#
# k8saudit: the official Fluent Bit image with out_k8saudit.so and the configs of conf/.
#
#   make docker                      (docker build -t ghcr.io/k8saudit/k8saudit:<TAG> .)
#   docker run --rm -e K8SAUDIT_URL=https://siem.example.com/ingest -e K8SAUDIT_API_KEY=... \
#     -v /var/log/kubernetes/audit:/var/log/kubernetes/audit:ro -v /var/lib/k8saudit:/var/lib/k8saudit \
#     ghcr.io/k8saudit/k8saudit:<TAG>
#
# The build stage runs `make so`: the Makefile's BUILD_SO, the very command `make build` and
# `make test` use (test/deploy checks that this stays so). Go is the version of go.mod.
# The plugin is built on Debian bookworm (glibc 2.36): the Fluent Bit 4.x image is distroless
# Debian 12 and the 5.x image Debian 13, both at least that glibc, so the .so loads in either.

ARG GO_VERSION=1.26.8
ARG FLUENT_BIT_VERSION=4.2.8

FROM golang:${GO_VERSION}-bookworm AS build
# Build with exactly the Go of the image: never download another toolchain.
ENV GOTOOLCHAIN=local
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    make so
# The health check client (the runtime image has no shell or curl), static.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o build/out/k8saudit-healthcheck ./conf/docker/healthcheck
# The state directory (offsets DB, filesystem buffer, dead-letter file), owned by the runtime user.
RUN mkdir -p /state/k8saudit/storage

FROM fluent/fluent-bit:${FLUENT_BIT_VERSION}
LABEL org.opencontainers.image.title="k8saudit" \
      org.opencontainers.image.description="Fluent Bit with the k8saudit output: Kubernetes audit logs to a SIEM" \
      org.opencontainers.image.source="https://github.com/k8saudit/k8saudit"
COPY --from=build /src/build/out/out_k8saudit.so /fluent-bit/plugins/out_k8saudit.so
COPY --from=build /src/build/out/k8saudit-healthcheck /fluent-bit/bin/k8saudit-healthcheck
COPY conf/fluent-bit.conf conf/fluent-bit.yaml conf/plugins.conf conf/plugins.yaml \
     conf/fluent-bit-webhook.conf conf/fluent-bit-webhook.yaml conf/fluent-bit-static-pod.conf \
     /fluent-bit/etc/
# Ready audit policies for policy_file (see conf/policies/).
COPY conf/policies/ /fluent-bit/etc/policies/
COPY --from=build --chown=65532:65532 /state/k8saudit /var/lib/k8saudit
# The distroless "nonroot" user. Reading the API server's audit log (root, mode 0600) on a
# control-plane node takes uid 0: the Kubernetes manifests of conf/kubernetes run this image
# as uid 0 with every capability dropped and a read-only root filesystem.
USER 65532:65532
EXPOSE 2020
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["/fluent-bit/bin/k8saudit-healthcheck"]
ENTRYPOINT ["/fluent-bit/bin/fluent-bit"]
CMD ["-c", "/fluent-bit/etc/fluent-bit.conf"]
