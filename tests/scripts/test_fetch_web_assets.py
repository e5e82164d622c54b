"""scripts/fetch_web_assets.py: integrity check, unpacking, and what counts as installed."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import sys
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_web_assets.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_web_assets", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_a_tarball_is_used_only_with_the_pinned_checksum(tmp_path: Path) -> None:
    fetch = _module()
    data = _tarball({"dist/lib.min.js": b"lib()", "LICENSE": b"MIT"})
    fetch.verify(data, _integrity(data))
    with pytest.raises(ValueError, match="integrity mismatch"):
        fetch.verify(data + b"x", _integrity(data))
    with pytest.raises(ValueError, match="unsupported"):
        fetch.verify(data, "sha1-abc")


def test_unpacking_copies_the_listed_files_and_marks_the_version(tmp_path: Path) -> None:
    fetch = _module()
    data = _tarball({"dist/lib.min.js": b"lib()", "LICENSE": b"MIT", "README.md": b"-"})
    package = fetch.Package(
        name="lib",
        version="1.2.3",
        integrity=_integrity(data),
        folder="lib",
        files={"dist/lib.min.js": "lib.min.js", "LICENSE": "LICENSE"},
    )
    assert not fetch.installed(package, tmp_path)
    stale = tmp_path / "lib" / "old.js"
    stale.parent.mkdir()
    stale.write_text("old")
    fetch.extract(package, data, tmp_path)
    assert fetch.installed(package, tmp_path)
    assert sorted(p.name for p in (tmp_path / "lib").iterdir()) == [
        "LICENSE",
        "VERSION",
        "lib.min.js",
    ]
    assert (tmp_path / "lib" / "lib.min.js").read_bytes() == b"lib()"
    # Another pinned version is not the installed one.
    bumped = fetch.Package(**{**package.__dict__, "version": "1.2.4"})
    assert not fetch.installed(bumped, tmp_path)


def test_a_cached_tarball_is_not_fetched_again(tmp_path: Path) -> None:
    fetch = _module()
    data = _tarball({"LICENSE": b"MIT"})
    package = fetch.Package("lib", "1.0.0", _integrity(data), "lib", {"LICENSE": "LICENSE"})
    (tmp_path / "lib-1.0.0.tgz").write_bytes(data)
    # An unreachable registry proves the cache answered.
    assert fetch.download(package, "http://127.0.0.1:9", tmp_path) == data


def test_the_platform_serves_the_pinned_assets() -> None:
    fetch = _module()
    assert [p.name for p in fetch.PACKAGES] == ["swagger-ui-dist", "echarts"]
    for package in fetch.PACKAGES:
        assert fetch.installed(package), f"{package.name}: run make install"
