"""Where input files live: local paths, or URLs (`s3://`, `gs://`, `hf://`, `http(s)://`,
...) through fsspec. Every reader opens its files here, so a format read from a local disk
is read the same way from object storage.

Credentials and endpoints come from the usual places (AWS_* variables, ~/.aws, gcloud) or
from fsspec's FSSPEC_<PROTOCOL>_<OPTION> variables (e.g. FSSPEC_S3_ENDPOINT_URL for a local
S3), which worker processes inherit, so nothing secret is written into a recipe.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import IO

from juicer.errors import MissingDependencyError

# the fsspec implementation each protocol needs, with the extra that installs it
_PROTOCOL_PACKAGES = {"s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"),
                      "gcs": ("gcsfs", "gcs"), "az": ("adlfs", "azure"),
                      "abfs": ("adlfs", "azure")}


def is_url(path: str) -> bool:
    return "://" in str(path) and not str(path).startswith("file://")


def local_path(path: str) -> str:
    text = str(path)
    return text[len("file://"):] if text.startswith("file://") else text


@lru_cache(maxsize=16)
def _filesystem(protocol: str):
    try:
        import fsspec
    except ImportError:
        raise MissingDependencyError("fsspec", "s3", f"reading {protocol}:// paths") from None
    try:
        return fsspec.filesystem(protocol)
    except ImportError:
        package, extra = _PROTOCOL_PACKAGES.get(protocol, (f"the fsspec backend of "
                                                           f"{protocol}://", "all"))
        raise MissingDependencyError(package, extra, f"reading {protocol}:// paths") from None


def filesystem(url: str):
    return _filesystem(str(url).split("://", 1)[0])


def with_protocol(fs, path: str) -> str:
    protocol = fs.protocol[0] if isinstance(fs.protocol, (tuple, list)) else fs.protocol
    return path if "://" in path else f"{protocol}://{path}"


def open_binary(path: str) -> IO[bytes]:
    if is_url(path):
        return filesystem(path).open(path, "rb")
    return open(local_path(path), "rb")


def size(path: str) -> int:
    if is_url(path):
        return int(filesystem(path).size(path))
    return os.path.getsize(local_path(path))


def exists(path: str) -> bool:
    return filesystem(path).exists(path) if is_url(path) else os.path.exists(local_path(path))


def is_dir(path: str) -> bool:
    return filesystem(path).isdir(path) if is_url(path) else os.path.isdir(local_path(path))


def is_file(path: str) -> bool:
    return filesystem(path).isfile(path) if is_url(path) else os.path.isfile(local_path(path))


def version(path: str) -> str:
    """Changes when the file is rewritten: size and modification time (local), size and
    ETag or modification time (object stores)."""
    if not is_url(path):
        stat = os.stat(local_path(path))
        return f"{os.path.abspath(local_path(path))}\0{stat.st_size}\0{stat.st_mtime_ns}"
    info = filesystem(path).info(path)
    stamp = info.get("ETag") or info.get("etag") or info.get("LastModified") or \
        info.get("mtime") or info.get("updated") or ""
    return f"{path}\0{info.get('size')}\0{stamp}"


def walk(folder: str):
    """(folder, sorted file names) for the folder and each folder below it, subfolders in
    sorted order after their parent (os.walk's order), for local paths and URLs alike, so a
    tree copied to object storage is read in the same order."""
    if not is_url(folder):
        for root, dirs, names in os.walk(local_path(folder)):
            dirs.sort()
            yield root, sorted(names)
        return
    fs = filesystem(folder)
    entries = fs.ls(folder, detail=True)
    names = sorted(entry["name"].rstrip("/").rsplit("/", 1)[-1] for entry in entries
                   if entry["type"] == "file")
    yield folder.rstrip("/"), names
    for entry in sorted((e for e in entries if e["type"] == "directory"),
                        key=lambda e: e["name"]):
        yield from walk(with_protocol(fs, entry["name"].rstrip("/")))


def glob(pattern: str) -> list[str]:
    if not is_url(pattern):
        import glob as local_glob

        return [p for p in local_glob.glob(local_path(pattern), recursive=True)
                if os.path.isfile(p)]
    fs = filesystem(pattern)
    return [with_protocol(fs, p) for p in fs.glob(pattern) if fs.isfile(p)]


def join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if is_url(folder) else os.path.join(folder, name)


def arrow_source(path: str):
    """A readable Arrow source: memory-mapped when local."""
    import pyarrow as pa

    if is_url(path):
        return pa.PythonFile(open_binary(path), mode="r")
    return pa.memory_map(local_path(path))
