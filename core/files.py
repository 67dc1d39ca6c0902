"""Writing files so a reader never sees half of one, and JSON that is always valid.

Every file Trainboard writes for someone else to read (a job's status while a page polls
it, a bundle, predictions, a model card) goes through :func:`atomic_path` or one of its
two shortcuts: the content goes to a temporary file in the same folder, which is renamed
over the target only once it is complete. A crash leaves the old file or none, never a
truncated one. ``core/portable`` keeps its own small writer for the predictions file,
because it ships in every bundle and must run without the rest of Trainboard.

:func:`json_ready` is the one place that turns what results hold (numpy numbers and
arrays, NaN and infinities, paths) into plain JSON values.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from core.i18n import Texts
from core.portable.outputs import usual_file_mode

__all__ = [
    "atomic_path",
    "copy_private",
    "disk_full_message",
    "dump_json",
    "json_ready",
    "read_json",
    "write_atomically",
    "write_json_atomic",
]


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, private: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed to ``path`` if the ``with`` block succeeds.

    Write (and check, if needed) the file at the yielded path inside the block. When the
    block raises, the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path
        The file to create or replace. Its folder is created if needed.
    private
        Keep the file readable by its owner only (mode 0600) instead of the mode a new
        file usually gets.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        if not private:
            usual_file_mode(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomically(
    path: str | os.PathLike[str], payload: bytes | str, *, private: bool = False
) -> None:
    """Write ``payload`` (text is written as UTF-8) to ``path``, all or nothing."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    with atomic_path(path, private=private) as temporary, open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        # On disk before the rename: after a power cut the new name never points at nothing.
        os.fsync(out.fileno())


def write_json_atomic(path: str | os.PathLike[str], data: Any, *, private: bool = False) -> None:
    """Write ``data`` as JSON (see :func:`json_ready`), all or nothing."""
    write_atomically(path, dump_json(data), private=private)


def copy_private(source: bytes | os.PathLike[str], target: os.PathLike[str]) -> None:
    """Write ``source`` (bytes, or a file to copy) to ``target``, readable by its owner only.

    The file is created with mode 0600 from its first byte (never world-readable for a
    moment), and all or nothing: a reader sees the whole copy or none.
    """
    with atomic_path(target, private=True) as temporary, open(temporary, "wb") as out:
        if isinstance(source, (bytes, bytearray, memoryview)):
            out.write(bytes(source))
        else:
            with open(source, "rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())


# A full disk, or a full quota on a shared server: both mean "free some space".
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
TEXT = Texts("core.files")


def disk_full_message(error: BaseException) -> str | None:
    """The plain sentence for ``error`` when it means the disk is full, else None.

    Writes go through :func:`atomic_path`, so after this error nothing is half-written: the
    message can say so.
    """
    for cause in (error, error.__cause__, error.__context__):
        if isinstance(cause, OSError) and cause.errno in _DISK_FULL_ERRNOS:
            return TEXT["disk_full"]
    return None


def read_json(path: str | os.PathLike[str]) -> Any:
    """The parsed content of a JSON file, or None if it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def json_ready(value: Any) -> Any:
    """``value`` as plain JSON values.

    numpy numbers and arrays become Python numbers and lists, NaN and infinities become
    None (JSON has no such numbers), paths, dates and enums become their text, mapping
    keys become strings. Anything else that JSON cannot hold raises ``TypeError`` when
    dumped, rather than being written as an unreadable ``repr``.
    """
    if isinstance(value, dict):
        return {str(_plain(key)): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    value = _plain(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (Path, datetime, date)):
        return value.isoformat() if isinstance(value, (datetime, date)) else str(value)
    return value


def dump_json(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON text (UTF-8 characters kept as they are), ending with a newline."""
    text = json.dumps(json_ready(data), indent=indent, ensure_ascii=False, allow_nan=False)
    return text + "\n"


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (a large file never sits in memory twice).

    The data fingerprint: the app keeps the same digest for an upload, the Runs page, the
    comparison of runs and MLflow tags read it.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
