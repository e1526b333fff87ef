"""kubectl's reads from the API: get, logs, events, describe and the informational commands."""
