"""Load and run TensorFlow without its native chatter on the terminal.

Importing TensorFlow 2.21 on a machine without a GPU writes lines like these to stderr::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. You may see slightly different ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
    E0000 ... cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: ... (303)

A person running ``trainboard`` sees them before the one ``error:`` line the command
promises, and "failed call to cuInit" reads like a failure when it is not. Measured on a
2-core CPU machine: ``TF_CPP_MIN_LOG_LEVEL=3`` (set before the import) silences the
``cuInit`` and CPU-feature lines, but not the first four, which the C++ libraries print
while they load, before TensorFlow's own logging is set up (neither ``CUDA_VISIBLE_DEVICES``
nor ``GLOG_minloglevel`` changes that; ``TF_ENABLE_ONEDNN_OPTS=0`` would, by changing the
numbers). So :func:`import_tensorflow_quietly` also parks the process's stderr (file
descriptor 2) in a temporary file during the import (:func:`native_stderr_hidden`) and
gives it back afterwards; if the import fails, what TensorFlow said is written out after all.
The LiteRT interpreter's "Created TensorFlow Lite XNNPACK delegate for CPU." is hidden
the same way where the export checks a ``.tflite`` file.

A user who sets ``TF_CPP_MIN_LOG_LEVEL`` below 3 asks for TensorFlow's messages: then
nothing is hidden. Call :func:`import_tensorflow_quietly` before anything imports
``tensorflow`` or ``keras``; later imports are free (Python caches the module).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

# TensorFlow's C++ log threshold: 3 shows nothing below FATAL.
QUIET_LOG_LEVEL = "3"


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (and Keras) with the start-up messages silenced.

    Raises
    ------
    ImportError
        If TensorFlow cannot be imported; TensorFlow's own messages are shown first.
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_LOG_LEVEL)
    with native_stderr_hidden():
        import keras  # noqa: F401 - the point: pay the import now, silently
        import tensorflow  # noqa: F401
    if _wants_quiet():
        # TensorFlow's and absl's Python loggers (deprecation notes, SavedModel and LiteRT
        # export remarks): errors only.
        for name in ("tensorflow", "absl"):
            logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def native_stderr_hidden() -> Iterator[None]:
    """Hide what native code writes to stderr inside the block, unless it fails.

    Python's own ``sys.stderr`` is flushed first, so nothing written before is lost. When
    the block raises, the hidden output is written out, then the error goes on. Nothing is
    hidden when ``TF_CPP_MIN_LOG_LEVEL`` asks for TensorFlow's messages.
    """
    if not _wants_quiet():
        yield
        return
    with tempfile.TemporaryFile() as parked:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(parked.fileno(), 2)
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            if failed:
                parked.seek(0)
                sys.stderr.write(parked.read().decode("utf-8", "replace"))
                sys.stderr.flush()


def _wants_quiet() -> bool:
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL", QUIET_LOG_LEVEL) == QUIET_LOG_LEVEL
