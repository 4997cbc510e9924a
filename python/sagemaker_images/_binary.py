"""Where the `sagemaker-images` binary is."""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig

BINARY_NAME = "sagemaker-images" + (".exe" if os.name == "nt" else "")
BINARY_ENV = "SAGEMAKER_IMAGES_BIN"


def _script_dirs() -> list[str]:
    """The directories pip puts a wheel's scripts in for this interpreter: its environment's, the user's."""
    dirs = [sysconfig.get_path("scripts")]
    try:
        dirs.append(sysconfig.get_path("scripts", f"{os.name}_user"))
    except KeyError:  # pragma: no cover - schemes differ between platforms
        pass
    dirs.append(os.path.dirname(sys.executable))
    return [d for d in dirs if d]


def binary_path() -> str:
    """`$SAGEMAKER_IMAGES_BIN` when set (a cargo build, say), else the binary the wheel installed beside
    this package (the environment's scripts directory), else the first on PATH."""
    configured = os.environ.get(BINARY_ENV)
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise FileNotFoundError(f"{BINARY_ENV}={configured} is not an executable file")
        return configured
    for directory in _script_dirs():
        candidate = os.path.join(directory, BINARY_NAME)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(BINARY_NAME)
    if found:
        return found
    raise FileNotFoundError(
        f"no {BINARY_NAME} binary: install the sagemaker-images wheel into this environment, "
        f"or set {BINARY_ENV} to a built binary (target/debug/sagemaker-images)"
    )
