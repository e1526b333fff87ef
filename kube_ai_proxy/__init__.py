"""kube-ai-proxy: an MCP server for kubectl, helm, istioctl and argocd, without a shell."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kube-ai-proxy")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
