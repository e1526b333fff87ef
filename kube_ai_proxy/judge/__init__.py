"""Whether a parsed command may run: the invariants that hold in every mode (`invariants`), the
access policy (`policy`) and the manifests it reads (`manifests`), the RBAC pre-flight (`rbac`)
and which commands the user must confirm (`confirmation`). A refusal raises CommandError.

It reads parse/'s plans and never imports native/, mcp/ or output/: judging does not depend on
how a command is answered, shown or asked about.
"""
