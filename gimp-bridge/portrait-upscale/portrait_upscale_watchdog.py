"""A watchdog process that cancels a job on the daemon when the plug-in dies without saying it finished.

Run as a script with ``--cancel-on-exit`` (as CancelOnExit starts it) it reads its order on stdin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Dict, Optional

from portrait_upscale_connection import DaemonClient
from portrait_upscale_errors import BridgeError


class CancelOnExit:
    """A watchdog process that cancels the job if this process dies before calling release().

    GIMP's Cancel on a plug-in's progress bar kills the plug-in (SIGKILL on Unix, TerminateProcess
    on Windows), so the plug-in cannot send the DELETE itself. The watchdog runs in its own
    session, holds the read end of a pipe, and sends the DELETE when the pipe closes unreleased.
    """

    def __init__(self, client: DaemonClient, job_id: str):
        self.process: Optional[subprocess.Popen] = None
        executable = _python_executable()
        if not executable:
            return
        kwargs: Dict[str, Any] = {"stdin": subprocess.PIPE, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if os.name == "nt":
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) | getattr(subprocess, "CREATE_NO_WINDOW", 0)
        else:
            kwargs["start_new_session"] = True
        try:
            self.process = subprocess.Popen([executable, os.path.abspath(__file__), "--cancel-on-exit"], **kwargs)
            # The token goes through the pipe, never the command line (which other users can list).
            order = {"url": client.url, "token": client.token, "jobId": job_id}
            assert self.process.stdin is not None
            self.process.stdin.write((json.dumps(order) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except OSError:
            self.process = None

    def release(self) -> None:
        """The job ended (or was cancelled here): the watchdog exits without cancelling."""
        if self.process is None:
            return
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(b"released\n")
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.process = None


def _python_executable() -> Optional[str]:
    executable = sys.executable or ""
    # Some embedded interpreters report the host program here; only a Python can run the watchdog.
    if "python" in os.path.basename(executable).lower():
        return executable
    return None


def _watchdog_main(stdin) -> int:
    first = stdin.readline()
    try:
        order = json.loads(first.decode("utf-8"))
    except ValueError:
        return 2
    released = False
    while True:
        line = stdin.readline()
        if not line:
            break
        if line.strip() == b"released":
            released = True
    if released:
        return 0
    try:
        DaemonClient(order["url"], order.get("token")).cancel(order["jobId"])
    except BridgeError:
        return 1
    return 0


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--cancel-on-exit":
    sys.exit(_watchdog_main(sys.stdin.buffer))
