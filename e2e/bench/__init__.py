"""The benchmark: `python -m e2e.bench` (or `make bench`) measures kube-ai-proxy on the local
control plane against the floor (plain HTTP), kubectl, and two peer MCP servers from npm,
and writes docs/benchmarks.md. See docs/benchmarks.md, "Method"."""
