"""kube-ai-proxy: an MCP server for kubectl, helm, istioctl and argocd, without a shell."""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata takes about 25 ms to import, which the
    # launcher (kube_ai_proxy.resident.launcher), started for every conversation, never needs.
    if name != "__version__":
        raise AttributeError(f"module 'kube_ai_proxy' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kube-ai-proxy")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
