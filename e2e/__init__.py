"""End-to-end tests of kube-ai-proxy against a real Kubernetes API server (see harness/)."""
