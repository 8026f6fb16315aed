"""Where the daemon keeps its config folder and token on each platform, and reading the token."""

from __future__ import annotations

import os
import sys
from typing import Mapping, Optional

from portrait_upscale_constants import CONFIG_DIR_ENV
from portrait_upscale_errors import TOKEN_MISSING, BridgeError


def config_dir(env: Optional[Mapping[str, str]] = None, platform: Optional[str] = None, home: Optional[str] = None) -> str:
    """The daemon's config folder for this user, as helper-daemon/src/config/paths.ts computes it."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    home = os.path.expanduser("~") if home is None else home
    override = env.get(CONFIG_DIR_ENV)
    if override:
        return override
    if platform.startswith("win"):
        join = _ntpath_join
        return join(env.get("APPDATA") or join(home, "AppData", "Roaming"), "portrait-upscale")
    if platform == "darwin":
        return os.path.join(home, "Library", "Application Support", "portrait-upscale")
    return os.path.join(env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"), "portrait-upscale")


def _ntpath_join(*parts: str) -> str:
    import ntpath

    return ntpath.join(*parts)


def token_path(env: Optional[Mapping[str, str]] = None, platform: Optional[str] = None, home: Optional[str] = None) -> str:
    """Where the daemon writes its token."""
    directory = config_dir(env, platform, home)
    if (platform or sys.platform).startswith("win"):
        return _ntpath_join(directory, "token")
    return os.path.join(directory, "token")


def read_token(path: str) -> str:
    """The token in `path` (whitespace trimmed); TOKEN_MISSING when absent, empty or unreadable."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            token = handle.read().strip()
    except FileNotFoundError:
        raise BridgeError(TOKEN_MISSING, "No token file at %s" % path, {"path": path})
    except OSError as error:
        raise BridgeError(TOKEN_MISSING, "The token file %s cannot be read: %s" % (path, error.strerror), {"path": path})
    if not token:
        raise BridgeError(TOKEN_MISSING, "The token file %s is empty" % path, {"path": path})
    return token
