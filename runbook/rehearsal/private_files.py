"""Private files of the rehearsal's stand-ins: written whole, mode 0600, atomically.

Shared by s3_server.py and cf_broker.py (each runs as a script, so this directory is on
sys.path).
"""

import contextlib
import os
import stat


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


def private_state_dir():
    """The directory RB_REHEARSAL_STATE names; ValueError unless it is a private (0700) one."""
    path = os.environ.get("RB_REHEARSAL_STATE", "")
    if not path:
        raise ValueError("RB_REHEARSAL_STATE is not set")
    try:
        info = os.stat(path)
    except OSError as error:
        raise ValueError(f"RB_REHEARSAL_STATE {path!r}: {error.strerror}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o077:
        raise ValueError(f"RB_REHEARSAL_STATE {path!r} must be a private directory (mode 0700)")
    return path
