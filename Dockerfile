# syntax=docker/dockerfile:1.7
#
# kube-ai-proxy with kubectl and helm, for Claude Desktop (stdio: `docker run -i`) and for
# clusters (K8S_MCP_TRANSPORT=streamable-http). `make image` builds it.
#
# The CLIs are built from the same pinned Go modules the tests run (e2e/gomod/*): every module
# is verified against go.sum (SHA-256 hashes of the module contents) by the Go toolchain, so
# no download needs a checksum of its own, and TARGETARCH selects the architecture.

ARG GO_IMAGE=golang:1.26-bookworm
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${GO_IMAGE} AS clis
ARG TARGETOS=linux
ARG TARGETARCH=amd64
# Kept equal to e2e/gomod/*/go.mod by tests/test_dockerfile.py.
ARG KUBERNETES_VERSION=v1.35.4
ARG HELM_VERSION=v3.22.0
ENV CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOFLAGS=-trimpath
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY e2e/gomod/kubernetes/go.mod e2e/gomod/kubernetes/go.sum /src/kubernetes/
COPY e2e/gomod/helm/go.mod e2e/gomod/helm/go.sum /src/helm/
WORKDIR /src/kubernetes
# The same version stamps Kubernetes' own build sets: without them kubectl reports v0.0.0.
RUN minor="$(cut -d. -f2 <<<"${KUBERNETES_VERSION}")" \
    && stamp="" \
    && for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do \
         stamp="${stamp} -X ${pkg}.gitVersion=${KUBERNETES_VERSION} -X ${pkg}.gitMajor=1"; \
         stamp="${stamp} -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean"; \
       done \
    && go build -ldflags "-s -w ${stamp}" -o /out/kubectl k8s.io/kubernetes/cmd/kubectl
WORKDIR /src/helm
RUN go build -o /out/helm \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
      helm.sh/helm/v3/cmd/helm

FROM ${PYTHON_IMAGE} AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kube_ai_proxy kube_ai_proxy
COPY adapters adapters
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
# Pipe stages (grep, sed, sort... are in the base image): jq, and column from bsdextrautils.
RUN apt-get update \
    && apt-get install -y --no-install-recommends jq=1.6-2.1+deb12u1 bsdextrautils=2.38.1-5+deb12u3 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
COPY --from=clis /out/kubectl /out/helm /usr/local/bin/
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin appuser \
    && install -d -o appuser -g appuser -m 0700 /home/appuser/.kube
# appuser, by number: Kubernetes can only check runAsNonRoot against a numeric user.
USER 10001:10001
WORKDIR /home/appuser
ENV K8S_MCP_TRANSPORT=stdio \
    K8S_MCP_HOST=0.0.0.0 \
    K8S_MCP_PORT=8000 \
    PYTHONUNBUFFERED=1
EXPOSE 8000
# Over HTTP, healthy means the server answers at all (401 without a token is an answer);
# over stdio there is nothing to probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request, urllib.error\nif os.environ.get('K8S_MCP_TRANSPORT', 'stdio') == 'stdio': sys.exit(0)\ntry: urllib.request.urlopen('http://127.0.0.1:%s/mcp' % os.environ.get('K8S_MCP_PORT', '8000'), timeout=4)\nexcept urllib.error.HTTPError: pass\nexcept Exception: sys.exit(1)"]
ENTRYPOINT ["kube-ai-proxy"]
