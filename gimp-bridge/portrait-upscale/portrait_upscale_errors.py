"""The bridge's error: a stable code (the daemon's, shared/src/errors.ts, or the bridge's own) and its words."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from portrait_upscale_constants import DEFAULT_URL, START_COMMAND


# Codes the bridge itself reports, beside the daemon's own (shared/src/errors.ts).
DAEMON_NOT_RUNNING = "DAEMON_NOT_RUNNING"
DAEMON_INCOMPATIBLE = "DAEMON_INCOMPATIBLE"
DAEMON_BAD_RESPONSE = "DAEMON_BAD_RESPONSE"
TOKEN_MISSING = "TOKEN_MISSING"
IMAGE_UNSUPPORTED = "IMAGE_UNSUPPORTED"


class BridgeError(Exception):
    """A failure with a stable code, the daemon's (or our) message, and structured data."""

    def __init__(self, code: str, message: str, data: Optional[Mapping[str, Any]] = None, status: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data: Dict[str, Any] = dict(data or {})
        self.status = status

    def user_message(self) -> str:
        """The sentence GIMP shows: what happened and what to do about it."""
        return describe_error(self.code, self.message, self.data)

    def __str__(self) -> str:
        return "%s: %s" % (self.code, self.message)


# Every code of shared/src/errors.ts, plus the bridge's own, in words a GIMP user can act on.
# A test checks that this table and errors.ts list the same codes.
ERROR_WORDS: Dict[str, str] = {
    "INPUT_NOT_IMAGE": "The daemon could not read the pixels it was sent as an image.",
    "INPUT_TRUNCATED": "The pixels arrived incomplete. Try again.",
    "INPUT_EMPTY": "The layer has no pixels.",
    "INPUT_TOO_LARGE": "The layer is larger than the daemon accepts. Crop it or raise the daemon's input limit.",
    "OUTPUT_TOO_LARGE": "The result would be larger than the daemon allows. Choose a smaller scale or crop the layer.",
    "OUTPUT_UNWRITABLE": "The daemon could not write the result.",
    "UNSUPPORTED_BIT_DEPTH": "The daemon does not support this bit depth.",
    "INVALID_OPTION": "An option has an invalid value.",
    "MODEL_UNKNOWN": "The daemon does not know the requested model.",
    "MODEL_MISSING": "A model file is missing on the daemon's machine. Run `npm install` (or `npx portrait-upscale models verify`) there.",
    "MODEL_CORRUPT": "A model file is damaged on the daemon's machine. Run `npx portrait-upscale models verify` there.",
    "MODEL_CONVERSION_FAILED": "A model could not be converted. Run `npm install` again on the daemon's machine.",
    "PRESET_UNKNOWN": "The daemon has no preset with that name.",
    "PRESET_INVALID": "A preset file on the daemon's machine is not valid.",
    "PRESET_LOCKED": "This preset is locked: leave scale, creativity, resemblance and denoise at the preset's values (-1 or 0), or choose another preset.",
    "PROVIDER_UNAVAILABLE": "The requested execution provider (GPU) is not available on the daemon's machine.",
    "OUT_OF_MEMORY": "The daemon ran out of memory even with the smallest tile. Close other programs or choose a smaller scale.",
    "INFERENCE_FAILED": "The model failed to run. The daemon's log (daemon.log in its config folder) has details.",
    "CANCELLED": "The upscale was cancelled.",
    "AUTH_REQUIRED": "The daemon asks for a token and none was sent.",
    "AUTH_INVALID": "The daemon refused the token. The token file may be from another daemon: restart GIMP after the daemon has started, or check that GIMP and the daemon run as the same user.",
    "PAIRING_INVALID": "The pairing code is wrong or has expired.",
    "ORIGIN_FORBIDDEN": "The daemon refused the request's origin.",
    "HOST_FORBIDDEN": "The daemon refused the host name. Use http://127.0.0.1:PORT as the daemon URL.",
    "PROTOCOL_VERSION_MISMATCH": "The plug-in and the daemon speak different protocol versions. Update both to the same release (npx portrait-upscale install-gimp).",
    "MESSAGE_INVALID": "The daemon did not understand the request. Update the plug-in (npx portrait-upscale install-gimp).",
    "MESSAGE_TOO_LARGE": "The layer is too large to send in one request.",
    "CHECKSUM_MISMATCH": "The pixels were damaged on the way (checksum mismatch). Try again.",
    "JOB_UNKNOWN": "The daemon no longer knows this job (it may have restarted). Try again.",
    "JOB_NOT_FINISHED": "The daemon has no result for this job yet.",
    "TOO_MANY_JOBS": "The daemon has too many jobs queued. Wait for them to finish and try again.",
    "NOT_FOUND": "The daemon does not offer this endpoint; the daemon URL may point at another program.",
    "INTERNAL": "The daemon hit an unexpected error. Its log (daemon.log in its config folder) has details.",
    "PRESET_MISMATCH": "The studio's GPU machine has a different version of this preset. Ask for the preset files to be made the same.",
    "SHARED_PATH_MISSING": "The studio's GPU machine cannot see a file of this job on the shared folder.",
    "INPUT_UNREADABLE": "The daemon could not read the input file.",
    "CONFIG_TOO_NEW": "The daemon's settings were written by a newer Portrait Upscale. Install the newer version again.",
    "UPLOAD_STALLED": "The image stopped arriving at the daemon. Check that it is still running, then try again.",
    "RESULT_NOT_RAW": "The daemon's result is an image file, not raw pixels. Update the plug-in.",
    "DAEMON_RESTARTED": "The daemon stopped unexpectedly and was restarted; the job was lost. Try again.",
    "USER_MODEL_MISSING": "The preset names a model of your own (user:NAME) that is not installed on the daemon's machine. Add it there with: portrait-upscale models add FILE.onnx --role ROLE --name NAME --licence TEXT",
    "DEVICE_UNKNOWN": "The device chosen for the daemon is not on its machine. Choose one the dialog's Device list offers, or leave the device at -1 (the daemon's default).",
    DAEMON_NOT_RUNNING: "The Portrait Upscale daemon is not running. Start it with: " + START_COMMAND,
    DAEMON_INCOMPATIBLE: "The program at the daemon URL is not a compatible Portrait Upscale daemon.",
    DAEMON_BAD_RESPONSE: "The daemon sent an answer the plug-in cannot read.",
    TOKEN_MISSING: "No daemon token was found. Start the daemon once (" + START_COMMAND + ") so that it writes its token, as the same user that runs GIMP.",
    IMAGE_UNSUPPORTED: "This image cannot be upscaled.",
}


def describe_error(code: str, message: str, data: Optional[Mapping[str, Any]] = None) -> str:
    """One paragraph for the user: the code's words, then the specifics the daemon sent."""
    data = data or {}
    words = ERROR_WORDS.get(code)
    parts: List[str] = []
    if code == DAEMON_NOT_RUNNING:
        url = data.get("url", DEFAULT_URL)
        parts.append("The Portrait Upscale daemon is not running at %s. Start it with: %s" % (url, START_COMMAND))
    elif code == TOKEN_MISSING:
        parts.append(words or message)
        if data.get("path"):
            parts.append("Looked for it in %s." % data["path"])
    elif words is None:
        parts.append(message or code)
    else:
        parts.append(words)
        # The daemon's own message carries the specifics ("Expected 2, 3, 4, 6 or 8 for scale…").
        if message and message != words and code not in (DAEMON_NOT_RUNNING,):
            parts.append(message if message.endswith(".") else message + ".")
    if code in ("AUTH_INVALID", "AUTH_REQUIRED") and data.get("tokenPath"):
        parts.append("Token file: %s." % data["tokenPath"])
    return " ".join(parts) + " [%s]" % code
