"""The base-image tarballs the harness keeps (e2e/harness/images.py): one per image, the one
made from the current inputs."""

from __future__ import annotations

from pathlib import Path

from e2e.harness.images import _drop_superseded


def test_a_new_tarball_drops_the_same_images_older_ones(tmp_path: Path) -> None:
    names = [
        "debian-bookworm-0a1.tar",
        "debian-bookworm-2b3.tar",
        "golang-4c5.tar",
        "golang-6d7.tar",
        "python-8e9.tar",
        "debian-bookworm-2b3.partial",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    _drop_superseded(tmp_path / "debian-bookworm-2b3.tar")
    _drop_superseded(tmp_path / "golang-6d7.tar")
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == [
        "debian-bookworm-2b3.partial",
        "debian-bookworm-2b3.tar",
        "golang-6d7.tar",
        "python-8e9.tar",
    ]
