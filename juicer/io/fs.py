"""Where input files live: local paths, or URLs (`s3://`, `gs://`, `hf://`, `http(s)://`,
...) through fsspec. Every reader opens its files here, so a format read from a local disk
is read the same way from object storage.

Credentials and endpoints come from the usual places (AWS_* variables, ~/.aws, gcloud) or
from fsspec's FSSPEC_<PROTOCOL>_<OPTION> variables (e.g. FSSPEC_S3_ENDPOINT_URL for a local
S3), which worker processes inherit, so nothing secret is written into a recipe.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from typing import IO, Iterator

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


def _protocols(fs) -> tuple:
    return tuple(fs.protocol) if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)


def with_protocol(fs, path: str) -> str:
    return path if "://" in path else f"{_protocols(fs)[0]}://{path}"


def open_binary(path: str) -> IO[bytes]:
    if is_url(path):
        return filesystem(path).open(path, "rb")
    return open(local_path(path), "rb")


def size(path: str) -> int:
    if is_url(path):
        return int(filesystem(path).size(path))
    return os.path.getsize(local_path(path))


def _fresh(path: str):
    """The filesystem of a URL with its cached listing of `path` dropped: another process
    (a worker, a resumed run) may have written there since this one last listed it."""
    filesystem_ = filesystem(path)
    filesystem_.invalidate_cache(path)
    return filesystem_


def exists(path: str) -> bool:
    return _fresh(path).exists(path) if is_url(path) else os.path.exists(local_path(path))


def existing(paths: list[str]) -> set[str]:
    """Which of `paths` exist. On a store, one listing per folder (1,000 names a request)
    instead of a request per path: a run checks the done markers of all its tasks, tens of
    thousands at a terabyte, before each stage."""
    found, by_folder = set(), {}
    for path in paths:
        if is_url(path):
            folder, _, name = path.rstrip("/").rpartition("/")
            by_folder.setdefault(folder, {})[name] = path
        elif os.path.exists(local_path(path)):
            found.add(path)
    for folder, names in by_folder.items():
        if len(names) == 1:  # a listing costs at least as much as one request
            found.update(path for path in names.values() if exists(path))
            continue
        try:
            listed = _fresh(folder).ls(folder, detail=False)
        except FileNotFoundError:
            continue
        present = {entry.rstrip("/").rsplit("/", 1)[-1] for entry in listed}
        found.update(path for name, path in names.items() if name in present)
    return found


_AT_ONCE = 32  # requests in flight when the driver reads many small objects from a store


def map_paths(function, paths: list[str]) -> list:
    """`function` over `paths`, in order; on a store 32 at a time, since each call is a
    request's latency (the driver reading every task's marker or footer at a terabyte)."""
    if len(paths) < 2 or not any(is_url(path) for path in paths):
        return [function(path) for path in paths]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(_AT_ONCE, len(paths))) as pool:
        return list(pool.map(function, paths))


def is_dir(path: str) -> bool:
    return _fresh(path).isdir(path) if is_url(path) else os.path.isdir(local_path(path))


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
        def unreadable(error: OSError) -> None:
            from juicer.errors import InputError

            raise InputError(f"input folder '{error.filename}' cannot be read: "
                             f"{error.strerror}", hint="give it read permission, or leave "
                             "it out of input.paths") from None

        # symbolic links to folders are not followed (a link loop would never end)
        for root, dirs, names in os.walk(local_path(folder), onerror=unreadable):
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


def names(folder: str) -> list[str]:
    """The names of the entries of a folder (or prefix), sorted; none if it is not there."""
    if is_url(folder):
        try:
            listed = _fresh(folder).ls(folder, detail=False)
        except FileNotFoundError:
            return []
        return sorted(entry.rstrip("/").rsplit("/", 1)[-1] for entry in listed)
    local = local_path(folder)
    return sorted(os.listdir(local)) if os.path.isdir(local) else []


def glob(pattern: str) -> list[str]:
    if not is_url(pattern):
        import glob as local_glob

        return [p for p in local_glob.glob(local_path(pattern), recursive=True)
                if os.path.isfile(p)]
    fs = _fresh(pattern.split("*", 1)[0].rsplit("/", 1)[0])
    return [with_protocol(fs, p) for p in fs.glob(pattern) if fs.isfile(p)]


def join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}" if is_url(folder) else os.path.join(folder, name)


def arrow_source(path: str):
    """A readable Arrow source: memory-mapped when local."""
    import pyarrow as pa

    if is_url(path):
        return pa.PythonFile(open_binary(path), mode="r")
    return pa.memory_map(local_path(path))


# ---------------------------------------------------------------- writing (intermediates)
# A run's folder (output.staging) may be a URL: tasks write each file in local scratch and
# upload it whole (object stores have no rename), then its seal, then their done marker.


def scratch_root() -> str:
    """Local scratch: $JUICER_SCRATCH, else the temporary folder ($TMPDIR)."""
    import tempfile

    return os.environ.get("JUICER_SCRATCH") or tempfile.gettempdir()


def scratch_path(url: str) -> str:
    """A local file to build `url` in before it is uploaded (unique per process)."""
    import hashlib

    folder = os.path.join(scratch_root(), "juicer-scratch")
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return os.path.join(folder, f"{digest}-{os.getpid()}-{url.rsplit('/', 1)[-1]}")


def upload(local: str, url: str) -> None:
    filesystem(url).put_file(local, url)


def download(url: str, local: str) -> None:
    filesystem(url).get_file(url, local)


@contextmanager
def local_copy(path: str) -> Iterator[str]:
    """`path` itself, or a URL downloaded to scratch and removed after the block."""
    if not is_url(path):
        yield local_path(path)
        return
    local = scratch_path(path)
    try:
        download(path, local)
        yield local
    finally:
        if os.path.exists(local):
            os.remove(local)


def read_bytes(path: str) -> bytes:
    if is_url(path):
        filesystem_ = filesystem(path)
        # s3fs asks for the size first (to fetch big objects in parallel): one GET instead
        single = {"max_concurrency": 1} if "s3" in _protocols(filesystem_) else {}
        return filesystem_.cat_file(path, **single)
    with open(local_path(path), "rb") as handle:
        return handle.read()


def open_random(path: str) -> IO[bytes]:
    """A file for scattered reads: on an object store each read is one range request (no
    read-ahead, which would fetch megabytes around every few bytes wanted)."""
    if is_url(path):
        return filesystem(path).open(path, "rb", cache_type="none")
    return open(local_path(path), "rb")


def read_range(path: str, offset: int, length: int) -> bytes:
    """`length` bytes from `offset` (one range request on an object store)."""
    if is_url(path):
        return filesystem(path).cat_file(path, start=offset, end=offset + length)
    with open(local_path(path), "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


def remove_tree(path: str) -> None:
    """Remove a folder (or prefix) and everything below it; nothing if it is not there."""
    if not is_url(path):
        import shutil

        shutil.rmtree(local_path(path), ignore_errors=True)
        return
    filesystem_ = _fresh(path)
    try:
        filesystem_.rm(path.rstrip("/"), recursive=True)
    except FileNotFoundError:
        pass
    filesystem_.invalidate_cache(path)


def remove_file(path: str) -> None:
    if not is_url(path):
        try:
            os.remove(local_path(path))
        except FileNotFoundError:
            pass
        return
    try:
        _fresh(path).rm_file(path)
    except FileNotFoundError:
        pass


def move(source: str, target: str) -> None:
    """Rename a file (an object store copies it on the server, then deletes the source)."""
    if not is_url(source):
        os.replace(local_path(source), local_path(target))
        return
    # copy, then delete: what every store supports (some backends' own `mv` calls an API
    # that emulators and older servers lack, and retries it with back-off first)
    filesystem_ = filesystem(source)
    filesystem_.copy(source, target)
    filesystem_.rm_file(source)


def copy_file(source: str, target: str) -> None:
    """Copy one file between any two locations; on one object store, without the bytes
    passing through this machine."""
    if is_url(source) and is_url(target) and source.split("://")[0] == target.split("://")[0]:
        filesystem(source).copy(source, target)
    elif is_url(target):
        with local_copy(source) as local:
            upload(local, target)
    elif is_url(source):
        os.makedirs(os.path.dirname(local_path(target)) or ".", exist_ok=True)
        download(source, local_path(target))
    else:
        import shutil

        os.makedirs(os.path.dirname(local_path(target)) or ".", exist_ok=True)
        shutil.copyfile(local_path(source), local_path(target))
