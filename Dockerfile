# syntax=docker/dockerfile:1
#
# k8saudit: the official Fluent Bit image with out_k8saudit.so and the configs of conf/.
# No image is published yet: build it and push it to your registry.
#
#   make docker IMAGE=registry.example.com/k8saudit:0.1.0     (docker build -t $IMAGE .)
#   docker buildx build --platform linux/amd64,linux/arm64 -t registry.example.com/k8saudit:0.1.0 --push .
#   docker run --rm --user 0 -e K8SAUDIT_URL=https://siem.example.com/ingest -e K8SAUDIT_API_KEY=... \
#     -v /var/log/kubernetes/audit:/var/log/kubernetes/audit:ro -v /var/lib/k8saudit:/var/lib/k8saudit \
#     registry.example.com/k8saudit:0.1.0
#
# The build stage runs `make so ARCH=<target>`: the Makefile's BUILD_SO, the very command
# `make build` and `make test` use (test/deploy checks that this stays so). Go is the version
# of go.mod. The stage runs on the builder's own platform and cross-compiles (cgo, with
# Debian's cross gcc) for another one, so a multi-arch build needs no emulation.
# The plugin is built on Debian bookworm (glibc 2.36): the Fluent Bit 4.x image is distroless
# Debian 12 and the 5.x image Debian 13, both at least that glibc, so the .so loads in either.

ARG GO_VERSION=1.26.8
ARG FLUENT_BIT_VERSION=4.2.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETARCH
# Build with exactly the Go of the image: never download another toolchain.
ENV GOTOOLCHAIN=local
# The target's C compiler and C library, when it is not the builder's architecture.
RUN set -e; case "${TARGETARCH:-$(go env GOARCH)}" in \
      "$(go env GOARCH)") ;; \
      arm64) cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;; \
      amd64) cross="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;; \
      *) echo "no cross compiler known for $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    if [ -n "${cross:-}" ]; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends $cross && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    make so ARCH=${TARGETARCH}
# The health check client (the runtime image has no shell or curl) and the static-pod
# manifest checker, static.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o build/out/k8saudit-healthcheck ./conf/docker/healthcheck && \
    CGO_ENABLED=0 GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o build/out/k8saudit-check-apiserver ./conf/kubernetes/checkapiserver
# The state directory (offsets DB, filesystem buffer, dead-letter file), owned by the runtime user.
RUN mkdir -p /state/k8saudit/storage

# The plugin alone, for a release asset per architecture:
#   docker buildx build --platform linux/amd64,linux/arm64 --target plugin --output type=local,dest=dist .
FROM scratch AS plugin
COPY --from=build /src/build/out/out_k8saudit.so /

FROM fluent/fluent-bit:${FLUENT_BIT_VERSION}
LABEL org.opencontainers.image.title="k8saudit" \
      org.opencontainers.image.description="Fluent Bit with the k8saudit output: Kubernetes audit logs to a SIEM" \
      org.opencontainers.image.source="https://github.com/k8saudit/k8saudit"
COPY --from=build /src/build/out/out_k8saudit.so /fluent-bit/plugins/out_k8saudit.so
COPY --from=build /src/build/out/k8saudit-healthcheck /src/build/out/k8saudit-check-apiserver /fluent-bit/bin/
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
# The audit log the configurations tail (${K8SAUDIT_AUDIT_LOG}): kubeadm's. Other
# distributions write it elsewhere: the manifests set it (README, "Audit log paths").
ENV K8SAUDIT_AUDIT_LOG=/var/log/kubernetes/audit/audit.log
ENTRYPOINT ["/fluent-bit/bin/fluent-bit"]
CMD ["-c", "/fluent-bit/etc/fluent-bit.conf"]
