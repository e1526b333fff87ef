# syntax=docker/dockerfile:1.7
#
# kube-ai-proxy with kubectl, helm, istioctl and argocd, for Claude Desktop (stdio: `docker run -i`) and for
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
# The version stamps e2e/harness/binaries.py links into istioctl and argocd (see there why).
ARG ISTIOCTL_LDFLAGS="-s -w -X istio.io/istio/pkg/version.buildVersion=1.31.0 -X istio.io/istio/pkg/version.buildGitRevision=eed52ebb66ad -X istio.io/istio/pkg/version.buildStatus=Clean -X istio.io/istio/pkg/version.buildTag=1.31.0"
ARG ARGOCD_LDFLAGS="-s -w -X github.com/argoproj/argo-cd/v3/common.version=3.5.7 -X github.com/argoproj/argo-cd/v3/common.buildDate=2026-11-02T19:17:57Z -X github.com/argoproj/argo-cd/v3/common.gitCommit=unknown -X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean -X github.com/argoproj/argo-cd/v3/common.gitTag=v3.5.7 -X github.com/argoproj/argo-cd/v3/common.kubectlVersion=v0.36.1 -X github.com/argoproj/argo-cd/v3/common.extraBuildInfo=gitops-engine@v0.0.0-20260914071520-c9c369efcc5b"
ENV CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOFLAGS=-trimpath
# Empty: Go's default proxy. `make image` passes a loopback proxy that serves the modules the
# harness already downloaded on the host, then the host's own GOPROXY (e2e/harness/goproxy.py).
ARG GOPROXY=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY e2e/gomod/kubernetes/go.mod e2e/gomod/kubernetes/go.sum /src/kubernetes/
COPY e2e/gomod/helm/go.mod e2e/gomod/helm/go.sum /src/helm/
COPY e2e/gomod/istioctl/go.mod e2e/gomod/istioctl/go.sum /src/istioctl/
COPY e2e/gomod/argocd/go.mod e2e/gomod/argocd/go.sum /src/argocd/
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
WORKDIR /src/istioctl
RUN go build -ldflags "${ISTIOCTL_LDFLAGS}" -o /out/istioctl istio.io/istio/istioctl/cmd/istioctl
WORKDIR /src/argocd
# Argo CD's multi-call binary, under the name that makes it the CLI.
RUN go build -ldflags "${ARGOCD_LDFLAGS}" -o /out/argocd github.com/argoproj/argo-cd/v3/cmd

FROM ${PYTHON_IMAGE} AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kube_ai_proxy kube_ai_proxy
COPY adapters adapters
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
# Pipe stages (grep, sed, sort... are in the base image): jq, and column from bsdextrautils.
# Pinned to the upstream version and Debian revision, with any stable update of it: the archive
# keeps only a suite's newest build of a package, so an exact pin would stop building at the
# next security update.
RUN apt-get update \
    && apt-get install -y --no-install-recommends 'jq=1.6-2.1+deb12u*' 'bsdextrautils=2.38.1-5+deb12u*' \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
COPY --from=clis /out/kubectl /out/helm /out/istioctl /out/argocd /usr/local/bin/
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin appuser \
    && install -d -o appuser -g appuser -m 0700 /home/appuser/.kube
# appuser, by number: Kubernetes can only check runAsNonRoot against a numeric user.
USER 10001:10001
WORKDIR /home/appuser
# No resident server (kube_ai_proxy/resident): a container lives for one conversation, so a
# resident would never serve a second start.
ENV K8S_MCP_TRANSPORT=stdio \
    K8S_MCP_HOST=0.0.0.0 \
    K8S_MCP_PORT=8000 \
    K8S_MCP_RESIDENT=off \
    PYTHONUNBUFFERED=1
EXPOSE 8000
# Over HTTP, healthy means the server answers at all (401 without a token is an answer);
# over stdio there is nothing to probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request, urllib.error\nif os.environ.get('K8S_MCP_TRANSPORT', 'stdio') == 'stdio': sys.exit(0)\ntry: urllib.request.urlopen('http://127.0.0.1:%s/mcp' % os.environ.get('K8S_MCP_PORT', '8000'), timeout=4)\nexcept urllib.error.HTTPError: pass\nexcept Exception: sys.exit(1)"]
ENTRYPOINT ["kube-ai-proxy"]
