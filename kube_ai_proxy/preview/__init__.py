"""What a write would change, before it happens: the server's dry run against what is live
(kubectl.py), as a diff per object (diff.py). Shown in the confirmation question and in a dry
run's result."""


class NoPreview(Exception):
    """Why a write could not be previewed, in a sentence."""
