"""Stand-ins for what the fast suite cannot run: CLIs, API servers."""
