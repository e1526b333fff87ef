"""Backends that run commands: the CLI runner now; Kubernetes, Helm and Argo CD clients later.

Nothing here knows about MCP, so a program can use an adapter on its own.
"""
