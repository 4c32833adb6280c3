"""Private files of the rehearsal's stand-ins: written whole, mode 0600, atomically.

Shared by s3_server.py and cf_broker.py (each runs as a script, so this directory is on
sys.path).
"""

import contextlib
import os


def write_private(path, text):
    """Write text to path with mode 0600 via a temp file in the same directory + rename."""
    directory = os.path.dirname(path)
    temp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
