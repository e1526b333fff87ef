"""End-to-end tests of kube-ai-proxy against a real Kubernetes API server (see harness/)."""

import pytest

# A helper shared by test modules: its asserts say what they compared, as a test module's do.
pytest.register_assert_rewrite("e2e.assistant")
