"""Writing files so that a full disk, a crash or a second process never loses an output.

Every file chemorad writes goes through `replacing(path)` (or its shorthands `write_text`, `write_bytes`): the content
is written to a hidden temporary file in the same folder, flushed to disk, and renamed over `path`. A rename within one
file system is atomic (POSIX `rename(2)`), so `path` holds either the old file or the complete new one, never a
truncated mix; on any failure the temporary file is removed. A full disk (or a read-only folder) is a user error: one
line naming the file and saying the old one is unchanged.

`folder_lock(out)` holds an advisory lock (`out/.lock`, `flock(2)`) while a command writes into an output folder, so a
second chemorad process writing into the same folder is refused instead of silently replacing the first one's files.
The lock dies with its holder, however it ends, and the lock file is removed when the command ends. `file_lock(path)`
does the same for a command whose output is one file (`.NAME.lock` beside it).
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chemorad.errors import ChemoradError

#: name of the lock file in a locked output folder
LOCK = ".lock"
#: errors that are the user's disk or folder, not a programming error: said in one line
_USER_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


def temporary_name(path: Path) -> Path:
    """A fresh hidden name beside `path` that keeps its suffix (so matplotlib and xarray pick the right format)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp{path.suffix}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write to; on success it is flushed and renamed over `path`.

    On any exception the temporary file is removed and `path` is left as it was; an `OSError` of the disk or the
    folder (full, over quota, too large, read-only, no permission) becomes a `ChemoradError` naming `path`.
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        # created here (O_EXCL: never someone else's file) with the umask's permissions, like a plain open()
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        if exc.errno in _USER_ERRNOS:
            kept = "the previous file is unchanged" if path.exists() else "nothing was written"
            raise ChemoradError(f"cannot write {path}: {exc.strerror or exc}; {kept}") from None
        raise
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass  # a folder that became unwritable: nothing more can be done


def write_bytes(path: Path | str, data: bytes) -> Path:
    """Write `data` to `path` atomically (see `replacing`); return `path`."""
    with replacing(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
    return Path(path)


def write_text(path: Path | str, text: str, encoding: str = "utf-8") -> Path:
    """Write `text` to `path` atomically (see `replacing`); return `path`."""
    return write_bytes(path, text.encode(encoding))


@contextmanager
def folder_lock(out: Path, option: str = "--out", hint: str = "wait for it to finish or choose another folder"):
    """Hold `out/.lock` while writing into `out` (created if absent); yield whether `out` was created here.

    A folder locked by another live process is a `ChemoradError` naming `option`, `out` and `hint`. The lock file is
    removed on the way out (while still held), and a folder created here and left empty (the command failed before
    writing) is removed too.
    """
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ChemoradError(f"{option} {out}: exists and is not a folder") from None
    except OSError as exc:
        raise ChemoradError(f"{option} {out}: cannot create the folder ({exc.strerror or exc})") from None
    handle = open(out / LOCK, "a+")  # held open for the whole run
    _hold(handle, f"{option} {out}: another chemorad process is writing to this folder; {hint}")
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield created
    finally:
        # removed while still held (no lock file is left behind); a folder created here and left empty goes too
        (out / LOCK).unlink(missing_ok=True)
        if created and out.is_dir() and not any(out.iterdir()):
            try:
                out.rmdir()
            except OSError:
                pass
        handle.close()


def _hold(handle, busy: str) -> None:
    """Take the exclusive lock on the open lock file without waiting; held by another process: close it and raise
    `busy`."""
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ChemoradError(busy) from None


@contextmanager
def file_lock(
    path: Path, option: str = "--out", hint: str = "wait for it to finish or choose another name", mkdir: bool = False
):
    """Hold ``.NAME.lock`` beside the file `path` while a command writes it; a second chemorad process writing the same
    file is a `ChemoradError` naming `option`, `path` and `hint`. The lock file is removed on the way out (while still
    held, so a process that opens it afterwards creates and locks a new one); `mkdir` creates the file's folder."""
    lock = path.with_name(f".{path.name}.lock")
    try:
        if mkdir:
            path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "a+")
    except FileNotFoundError:
        raise ChemoradError(f"{option} {path}: folder {path.parent} does not exist") from None
    except OSError as exc:
        raise ChemoradError(f"{option} {path}: cannot write into {path.parent} ({exc.strerror or exc})") from None
    _hold(handle, f"{option} {path}: another chemorad process is writing this file; {hint}")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        handle.close()
