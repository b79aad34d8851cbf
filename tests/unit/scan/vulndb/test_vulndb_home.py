"""VulnDbHome: installing switches the current database atomically, keeps the one
before, forgets older ones, and stays consistent when processes install at once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from berth.scan.vulndb import NotADatabase, VulnDbHome, build

from .osv_records import NOW, entry, fixed, record, write_dir


def _built(home: VulnDbHome, tag: str) -> Path:
    source = write_dir(home.path.parent / f"src-{tag}",
                       record(f"GHSA-{tag}", entry("npm", tag, fixed("1.0.0", "SEMVER"))))
    return build([source], home.incoming, now=NOW, workers=0).path


def _databases(home: VulnDbHome) -> set[str]:
    return {p.name for p in home.path.glob("vulndb-*.sqlite")}


def test_install_switches_current_and_keeps_the_previous(tmp_path: Path) -> None:
    home = VulnDbHome(tmp_path / "home")
    assert home.current_id() is None and home.current() is None and home.previous() is None
    a, b, c = (_built(home, tag) for tag in "abc")
    home.install(a)
    first = home.current()
    assert first is not None and home.current_id() == first.digest
    assert first.lookup("npm", ["a"]) and home.current() is first  # shared while current
    home.install(b)
    assert home.current_id() == f"sha256:{b.name[7:-7]}"
    previous, current = home.previous(), home.current()
    assert previous is first and current is not None and current.lookup("npm", ["b"])
    assert _databases(home) == {a.name, b.name}
    home.install(c)
    assert _databases(home) == {b.name, c.name}  # a is gone
    assert (home.path / "CURRENT").read_text() == c.name + "\n"
    assert (home.path / "PREVIOUS").read_text() == b.name + "\n"
    home.close()


def test_another_home_on_the_same_directory_sees_the_switch(tmp_path: Path) -> None:
    writer, reader = VulnDbHome(tmp_path / "home"), VulnDbHome(tmp_path / "home")
    a, b = _built(writer, "a"), _built(writer, "b")
    writer.install(a)
    assert reader.current_id() == writer.current_id()
    writer.install(b)
    assert reader.current_id() == f"sha256:{b.name[7:-7]}"
    current = reader.current()
    assert current is not None and current.lookup("npm", ["b"])
    reader.close()
    writer.close()


def test_installing_the_current_database_again_changes_nothing(tmp_path: Path) -> None:
    home = VulnDbHome(tmp_path / "home")
    a, b = _built(home, "a"), _built(home, "b")
    home.install(a)
    home.install(b)
    home.install(home.path / b.name)
    assert (home.path / "PREVIOUS").read_text() == a.name + "\n"
    assert _databases(home) == {a.name, b.name}


def test_rollback_swaps_current_and_previous(tmp_path: Path) -> None:
    home = VulnDbHome(tmp_path / "home")
    a, b = _built(home, "a"), _built(home, "b")
    home.install(a)
    assert home.rollback() is False
    home.install(b)
    assert home.rollback() is True
    assert (home.path / "CURRENT").read_text() == a.name + "\n"
    assert (home.path / "PREVIOUS").read_text() == b.name + "\n"


def test_only_content_named_databases_are_installed(tmp_path: Path) -> None:
    home = VulnDbHome(tmp_path / "home")
    renamed = _built(home, "a").rename(home.incoming / "mine.sqlite")
    with pytest.raises(NotADatabase):
        home.install(renamed)
    fake = home.incoming / f"vulndb-{'0' * 64}.sqlite"
    fake.write_text("not sqlite")
    with pytest.raises(NotADatabase):
        home.install(fake)
    assert home.current_id() is None


def test_a_file_from_another_directory_is_moved_in(tmp_path: Path) -> None:
    home = VulnDbHome(tmp_path / "home")
    source = write_dir(tmp_path / "src", record("GHSA-1", entry("npm", "x", fixed("1", "SEMVER"))))
    elsewhere = build([source], tmp_path / "elsewhere", now=NOW).path
    home.install(elsewhere)
    assert not elsewhere.exists() and (home.path / elsewhere.name).exists()


def _install_all(home_path: str, files: list[str]) -> None:
    home = VulnDbHome(Path(home_path))
    for name in files:
        home.install(Path(name))
        current = home.current()
        assert current is not None and current.info().records == 1
    home.close()


def test_concurrent_installs_leave_a_consistent_home(tmp_path: Path) -> None:
    home = VulnDbHome(tmp_path / "home")
    built = [str(_built(home, f"p{n}")) for n in range(24)]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_install_all, args=(str(home.path), built[i::3]))
               for i in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    current, previous = ((home.path / n).read_text().strip() for n in ("CURRENT", "PREVIOUS"))
    assert current != previous and {current, previous} <= {Path(p).name for p in built}
    assert _databases(home) == {current, previous}
    assert [p.name for p in home.path.iterdir() if p.name.startswith(".")] == [".lock"]
    assert home.current() is not None
    home.close()
