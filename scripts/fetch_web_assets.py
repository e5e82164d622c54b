"""Install the third-party browser assets (Swagger UI, ECharts) from the npm registry.

The files are not kept in the repository: `make install` runs this script, which downloads
each pinned package tarball once (cached), checks it against the registry's sha512 integrity
value written below, and copies the listed files unmodified, with their licences, into
`src/silian/web/static/vendor/<name>/`. Nothing is fetched when the files are already in place
for the pinned version, so the platform itself never downloads anything at run time.

Usage: python scripts/fetch_web_assets.py [--check]
  --check   exit 1 (and say what is missing) instead of downloading
Environment: SILIAN_NPM_REGISTRY (default https://registry.npmjs.org), SILIAN_ASSET_CACHE
(default ~/.cache/silian/npm).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "silian" / "web" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    """One pinned npm package and the files the platform serves from it."""

    name: str
    version: str
    integrity: str  # the registry's "dist.integrity" (sha512, base64)
    folder: str  # under static/vendor/
    files: dict[str, str]  # path inside the tarball (under package/) -> file name in folder

    @property
    def tarball(self) -> str:
        """Tarball path on the registry."""
        return f"{self.name}/-/{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    @property
    def stamp(self) -> str:
        """What the VERSION file of the installed folder says."""
        return f"{self.name} {self.version} (npm)\n"


PACKAGES = [
    Package(
        name="swagger-ui-dist",
        version="5.35.0",
        integrity="sha512-U06rpMtW9V3XPGOBeamTUSr0Z09jMX4IJuANpE/EZbAhw0G8CgwrzU4YmXkn/h0wCDNsXdGarTNNHC3sU8yVUQ==",
        folder="swagger-ui",
        files={
            "swagger-ui-bundle.js": "swagger-ui-bundle.js",
            "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui.css": "swagger-ui.css",
            "oauth2-redirect.js": "oauth2-redirect.js",
            "LICENSE": "LICENSE.txt",
            "NOTICE": "NOTICE",
        },
    ),
    Package(
        name="echarts",
        version="5.6.0",
        integrity="sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==",
        folder="echarts",
        files={
            "dist/echarts.min.js": "echarts.min.js",
            "LICENSE": "LICENSE",
            "licenses/LICENSE-d3": "LICENSE-d3",
            "NOTICE": "NOTICE",
        },
    ),
]


def installed(package: Package, vendor: Path = VENDOR) -> bool:
    """True when every file of the pinned version is in place."""
    folder = vendor / package.folder
    version = folder / "VERSION"
    if not version.is_file() or version.read_text("utf-8") != package.stamp:
        return False
    return all((folder / name).is_file() for name in package.files.values())


def verify(data: bytes, integrity: str) -> None:
    """Raise ValueError unless data has the registry's sha512 integrity value."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if actual != expected:
        raise ValueError(f"integrity mismatch: expected {expected}, got {actual}")


def download(package: Package, registry: str, cache: Path) -> bytes:
    """The verified tarball, from the cache or the registry (then cached)."""
    cached = cache / package.tarball.rsplit("/", 1)[-1]
    if cached.is_file():
        data = cached.read_bytes()
        try:
            verify(data, package.integrity)
            return data
        except ValueError:
            cached.unlink()  # a damaged cache entry is fetched again
    url = f"{registry.rstrip('/')}/{package.tarball}"
    print(f"fetching {url}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    verify(data, package.integrity)
    cache.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(cached)
    return data


def extract(package: Package, data: bytes, vendor: Path = VENDOR) -> None:
    """Copy the listed files into the vendor folder (replacing it whole, so no stale file stays)."""
    target = vendor / package.folder
    staging = vendor / f".{package.folder}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for inner, name in package.files.items():
            member = archive.extractfile(f"package/{inner}")
            if member is None:
                raise ValueError(f"{package.name} {package.version} has no {inner}")
            (staging / name).write_bytes(member.read())
    (staging / "VERSION").write_text(package.stamp, "utf-8")
    shutil.rmtree(target, ignore_errors=True)
    staging.replace(target)


def main(argv: list[str] | None = None) -> int:
    """Install missing assets (or, with --check, report them)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report missing assets, fetch nothing")
    args = parser.parse_args(argv)
    registry = os.environ.get("SILIAN_NPM_REGISTRY", "https://registry.npmjs.org")
    cache = Path(os.environ.get("SILIAN_ASSET_CACHE", Path.home() / ".cache" / "silian" / "npm"))
    missing = [p for p in PACKAGES if not installed(p)]
    if args.check:
        for package in missing:
            print(f"missing: {package.name} {package.version} (run: make install)", file=sys.stderr)
        return 1 if missing else 0
    for package in missing:
        extract(package, download(package, registry, cache))
        print(f"installed {package.name} {package.version} into static/vendor/{package.folder}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
