"""Processes sharing a folder (the core pool's workers) rebuild the recommendation index one at
a time, and one that waited takes the other's newer index instead of building its own."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.recommend.rebuild import Report
from bot.recommend.shared_rebuild import SharedRebuilds


class Builds:
    """A stand-in for the rebuild process: writes a file and reports when it started."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.made: list[Path] = []

    def __call__(self, started_at: float, text: str) -> tuple[Report, Path]:
        path = self.tmp / f"built-{len(self.made)}.idx"
        path.write_text(text)
        self.made.append(path)
        return Report(("sig", len(self.made)), 1.0, 1000 + len(self.made), started_at), path


def test_a_newer_published_index_is_taken_instead_of_building(tmp_path: Path) -> None:
    folder = tmp_path / "pool"
    folder.mkdir()
    builds = Builds(tmp_path)
    one, two = SharedRebuilds(folder), SharedRebuilds(folder)
    report, path = one.rebuild(0.0, lambda: builds(100.0, "first"))
    assert path.parent == folder and path.read_text() == "first"
    # The second process's index began before the published one: it takes that one.
    taken, taken_path = two.rebuild(50.0, lambda: builds(101.0, "unwanted"))
    assert (taken, taken_path) == (report, path)
    assert len(builds.made) == 1
    # Its own index is as new as the published one: it builds, and the old file goes.
    newer, newer_path = two.rebuild(100.0, lambda: builds(102.0, "second"))
    assert newer.started_at == 102.0 and newer_path.read_text() == "second"
    assert not path.exists()
    assert sorted(p.name for p in folder.glob("*.idx")) == [newer_path.name]


def test_one_rebuild_at_a_time(tmp_path: Path) -> None:
    """A second process asking while the first builds waits for it, then takes its index."""
    folder = tmp_path / "pool"
    folder.mkdir()
    builds = Builds(tmp_path)
    building, release = threading.Event(), threading.Event()

    def slow_build() -> tuple[Report, Path]:
        building.set()
        assert release.wait(10)
        return builds(200.0, "slow")

    results: list[tuple[Report, Path]] = []
    first = threading.Thread(
        target=lambda: results.append(SharedRebuilds(folder).rebuild(0.0, slow_build))
    )
    first.start()
    assert building.wait(10)
    second = threading.Thread(
        target=lambda: results.append(
            SharedRebuilds(folder).rebuild(0.0, lambda: builds(201.0, "no"))
        )
    )
    second.start()
    second.join(0.2)  # bounded: it must still be waiting for the lock, not done
    assert second.is_alive() and len(results) == 0
    release.set()
    first.join(10)
    second.join(10)
    assert len(builds.made) == 1
    assert results[0] == results[1]
