"""Opening a model bundle that may come from anywhere, without trusting it.

A bundle is a zip archive a person uploads; it could be damaged, or built to harm
the machine that opens it. Before anything is extracted, every entry is checked:
no path that escapes the extraction folder, no links or special files, a bounded
number of files and a bounded size (declared sizes are checked first, and bytes are
counted again while extracting, so a header that lies about its size is caught too).
The network description inside ``model.keras`` is read as plain JSON and refused if
it contains code (Lambda layers, serialised functions) or classes from outside Keras,
before Keras is asked to load it (and then only with ``safe_mode=True``).
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from core.errors import BundleError
from core.i18n import Texts

MAX_FILES = 2000
MAX_TOTAL_BYTES = 1 << 30  # 1 GiB uncompressed
MAX_ARCHIVE_BYTES = 1 << 30  # 1 GiB as uploaded
MAX_CONFIG_BYTES = 64 << 20  # the network description inside model.keras (JSON text)
CHUNK_BYTES = 1 << 20
# Layer and object names that carry Python code, which Trainboard never creates.
CODE_CLASS_NAMES = frozenset({"Lambda", "TFOpLambda", "SlicingOpLambda", "__lambda__"})
# Where every object in a Trainboard network description comes from.
KERAS_MODULE = "keras"

# The two refusals, each with its reason (catalog "core.bundle.safety", bundle_errors.po).
TEXT = Texts("core.bundle.safety")


def refused(reason: str, **params: Any) -> BundleError:
    """A bundle refused because opening it could harm the computer: ``reason`` names the
    catalog's ``why`` text."""
    return BundleError(TEXT["unsafe"].format(why=TEXT["why"][reason].format(**params)))


def not_a_bundle(reason: str, **params: Any) -> BundleError:
    """A file that is not (or no longer) a Trainboard bundle, and why."""
    return BundleError(TEXT["not_a_bundle"].format(why=TEXT["why"][reason].format(**params)))


def open_archive(source: str | os.PathLike[str] | bytes) -> zipfile.ZipFile:
    """Open a bundle given as a path or as bytes, refusing anything that is not a zip.

    Raises
    ------
    BundleError
        If the file is missing, too large, or not a zip archive.
    """
    handle: IO[bytes] | Path
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) > MAX_ARCHIVE_BYTES:
            raise refused("too_large")
        handle = io.BytesIO(bytes(source))
    else:
        handle = Path(source)
        if not handle.is_file():
            raise BundleError(TEXT["not_found"].format(path=handle))
        if handle.stat().st_size > MAX_ARCHIVE_BYTES:
            raise refused("too_large")
    try:
        return zipfile.ZipFile(handle)  # a path given here is opened, and closed, by ZipFile
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise not_a_bundle("not_zip") from error


def check_entries(archive: zipfile.ZipFile, max_files: int = MAX_FILES) -> list[zipfile.ZipInfo]:
    """Check every entry of an archive before anything is extracted; return the files.

    Raises
    ------
    BundleError
        On a path that escapes the folder, a link or special file, a repeated name,
        too many files or too many bytes.
    """
    entries = archive.infolist()
    if len(entries) > max_files:
        raise refused("too_many", count=len(entries), limit=max_files)
    seen: set[str] = set()
    total = 0
    files: list[zipfile.ZipInfo] = []
    for info in entries:
        name = safe_member_name(info.filename)
        if name in seen:
            raise refused("twice", name=name)
        seen.add(name)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise refused("link", name=name)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise refused("special", name=name)
        if info.is_dir():
            continue
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise refused("unpacked")
        files.append(info)
    return files


def safe_member_name(raw: str) -> str:
    """The entry's path if it stays inside the extraction folder; raise BundleError otherwise."""
    if "\x00" in raw or not raw:
        raise refused("bad_name")
    text = raw.replace("\\", "/")
    path = PurePosixPath(text)
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise refused("absolute", name=raw)
    if ".." in path.parts:
        raise refused("outside", name=raw)
    return str(path) + ("/" if text.endswith("/") else "")


def extract_all(archive: zipfile.ZipFile, destination: Path) -> list[str]:
    """Extract the checked archive into ``destination``, counting the bytes actually written.

    Returns the relative names of the files written.

    Raises
    ------
    BundleError
        If any check of :func:`check_entries` fails, or an entry unpacks to more bytes
        than its header declares (a zip bomb), or the archive is damaged.
    """
    root = destination.resolve()
    written: list[str] = []
    total = 0
    for info in check_entries(archive):
        name = safe_member_name(info.filename)
        target = (root / name).resolve()
        if root not in target.parents:
            raise refused("outside", name=name)
        try:
            total += _extract_one(archive, info, name, target)
        except OSError as error:
            # e.g. "a" as a file and "a/b" in the same archive, or a full disk.
            raise not_a_bundle("not_unpacked", name=name, error=error.strerror) from error
        if total > MAX_TOTAL_BYTES:
            raise refused("unpacked")
        written.append(name)
    return written


def _extract_one(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, target: Path) -> int:
    """Write one entry, never more bytes than its header declares; return the bytes written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with target.open("xb") as out:
        for chunk in _read_member(archive, info):
            size += len(chunk)
            if size > min(info.file_size, MAX_TOTAL_BYTES):
                raise refused("more_bytes", name=name)
            out.write(chunk)
    return size


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK_BYTES):
                yield chunk
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        # zipfile raises on a CRC mismatch, which is what a lying size header produces.
        raise not_a_bundle("member_damaged", name=info.filename) from error
    except (NotImplementedError, RuntimeError) as error:
        # RuntimeError: zipfile's word for an encrypted entry (a password would be needed).
        raise not_a_bundle("encrypted", name=info.filename) from error


# --- the network description inside model.keras ---------------------------------------------


def read_model_config(model_path: Path) -> dict[str, Any]:
    """Read ``config.json`` from a ``.keras`` file (itself a zip) without loading the model.

    Raises
    ------
    BundleError
        If the file is not a Keras model file, or its description is unreadable.
    """
    try:
        with zipfile.ZipFile(model_path) as inner:
            check_entries(inner, max_files=100)
            info = inner.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise refused("config_too_large")
            text = b"".join(_read_member(inner, info))
    except KeyError as error:
        raise not_a_bundle("broken_keras") from error
    except (zipfile.BadZipFile, OSError) as error:
        raise not_a_bundle("broken_keras") from error
    try:
        config = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise not_a_bundle("broken_keras") from error
    if not isinstance(config, dict):
        raise not_a_bundle("broken_keras")
    return config


def check_model_config(config: Any) -> None:
    """Refuse a network description that carries code or classes from outside Keras.

    Raises
    ------
    BundleError
        Naming the first offending object.
    """
    for node in _walk(config):
        class_name = node.get("class_name")
        if class_name in CODE_CLASS_NAMES:
            raise refused("code_layer", name=class_name)
        module = node.get("module")
        if isinstance(module, str) and not (
            module == KERAS_MODULE or module.startswith(KERAS_MODULE + ".")
        ):
            raise refused("outside_keras", name=class_name, module=module)
        registered = node.get("registered_name")
        if isinstance(registered, str) and ">" in registered:
            # Custom objects are registered as "package>Name"; Trainboard never makes them.
            raise refused("custom_object", name=registered)


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    # Iterative, so a deliberately deep description cannot exhaust the stack.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
