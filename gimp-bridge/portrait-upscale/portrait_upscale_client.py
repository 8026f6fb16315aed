"""The Portrait Upscale daemon's HTTP API (docs/api.md), for the GIMP plug-in.

Standard library only: GIMP's bundled Python cannot be relied on to have anything else.
Nothing here imports GIMP, so the whole protocol side is testable with a plain python3.

Run as a script with ``--cancel-on-exit`` it becomes the watchdog that cancels a job on
the daemon when the plug-in process dies without saying it finished (see CancelOnExit).
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
import zlib
from array import array
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import quote, urlsplit

PROTOCOL_VERSION = 1
DEFAULT_URL = "http://127.0.0.1:7421"
SCALES = (2, 3, 4, 6, 8)
STAGES = ("queued", "decode", "faces", "upscale", "blend", "review", "encode")
CONFIG_DIR_ENV = "PORTRAIT_UPSCALE_CONFIG_DIR"
START_COMMAND = "npx portrait-upscale serve"
CLIENT_NAME = "portrait-upscale-gimp"

# Short waits for questions the daemon answers at once; the event stream and the upload of
# a large image may legitimately be quiet for longer.
QUICK_TIMEOUT = 10.0
TRANSFER_TIMEOUT = 300.0
EVENT_TIMEOUT = 120.0

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


# ------------------------------------------------------------------ errors in words

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


# ------------------------------------------------------------------ token

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


# ------------------------------------------------------------------ images and jobs

class RawImage:
    """Interleaved pixels, rows top to bottom, no padding; 16-bit samples little-endian."""

    def __init__(self, width: int, height: int, channels: int, bit_depth: int, data: bytes):
        if channels not in (1, 2, 3, 4):
            raise BridgeError(IMAGE_UNSUPPORTED, "Expected 1 to 4 channels but received %r" % (channels,))
        if bit_depth not in (8, 16):
            raise BridgeError("UNSUPPORTED_BIT_DEPTH", "Expected 8 or 16 bits but received %r" % (bit_depth,))
        expected = width * height * channels * (bit_depth // 8)
        if len(data) != expected:
            raise BridgeError(
                DAEMON_BAD_RESPONSE if width > 0 else IMAGE_UNSUPPORTED,
                "Expected %d bytes for a %dx%d image with %d channels at %d bits but received %d"
                % (expected, width, height, channels, bit_depth, len(data)),
            )
        self.width = width
        self.height = height
        self.channels = channels
        self.bit_depth = bit_depth
        self.data = data

    def crc32(self) -> str:
        return crc32_hex(self.data)


def crc32_hex(data: bytes) -> str:
    """CRC-32 (the zlib one, as shared/src/crc32.ts) as 8 lower-case hex digits."""
    return "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)


def u16_native_to_little_endian(data: bytes) -> bytes:
    """GIMP hands out samples in the machine's byte order; the wire wants little-endian."""
    if sys.byteorder == "little":
        return bytes(data)
    samples = array("H")
    samples.frombytes(data)
    samples.byteswap()
    return samples.tobytes()


u16_little_endian_to_native = u16_native_to_little_endian


class JobOptions:
    """What the user chose. None means "the preset's value" and is not sent."""

    def __init__(
        self,
        preset: Optional[str] = None,
        scale: Optional[int] = None,
        creativity: Optional[float] = None,
        resemblance: Optional[float] = None,
        denoise: Optional[float] = None,
        face_restore: Optional[str] = None,
        face_restore_strength: Optional[float] = None,
        device: Optional[int] = None,
    ):
        self.preset = preset or None
        # The daemon's device to run on (`GET /v1/devices`); None for the daemon's default.
        self.device = device
        self.scale = scale
        self.creativity = creativity
        self.resemblance = resemblance
        self.denoise = denoise
        # "user:NAME" (a face-restore model brought to the daemon), "off", or None for the preset's.
        self.face_restore = face_restore or None
        self.face_restore_strength = face_restore_strength

    @classmethod
    def from_arguments(
        cls,
        preset: str,
        scale: int,
        creativity: float,
        resemblance: float,
        denoise: float,
        face_restore: str = "",
        face_restore_strength: float = -1.0,
        device: int = -1,
    ) -> "JobOptions":
        """From the procedure's arguments, where 0 (scale), "" (face restore) and negative values
        mean "the preset's", and a negative device the daemon's default."""
        if device is not None and device > MAX_DEVICE_ID:
            raise BridgeError(
                "INVALID_OPTION",
                "Expected a device from 0 to %d (or -1 for the daemon's default) for device but received %r" % (MAX_DEVICE_ID, device),
                {"name": "device"},
            )
        preset = (preset or "").strip()
        face_restore = (face_restore or "").strip()
        if face_restore and not FACE_RESTORE_ARGUMENT.match(face_restore):
            raise BridgeError(
                "INVALID_OPTION",
                "Expected the name of a face-restore model on the daemon (user:NAME or NAME), \"off\" or \"\" for the preset's for face-restore but received %r" % (face_restore,),
                {"name": "face-restore"},
            )
        if face_restore_strength is not None and face_restore_strength > 1:
            raise BridgeError(
                "INVALID_OPTION",
                "Expected a number from 0 to 1 (or -1 for the preset's value) for face-restore-strength but received %r" % (face_restore_strength,),
                {"name": "face-restore-strength"},
            )
        strength = face_restore_strength if face_restore_strength is not None and face_restore_strength >= 0 else None
        if scale and scale not in SCALES:
            raise BridgeError(
                "INVALID_OPTION",
                "Expected one of 2, 3, 4, 6, 8 (or 0 for the preset's scale) for scale but received %r" % (scale,),
                {"name": "scale"},
            )
        values = {}
        for name, value in (("creativity", creativity), ("resemblance", resemblance), ("denoise", denoise)):
            if value is None or value < 0:
                values[name] = None
            elif value > 1:
                raise BridgeError(
                    "INVALID_OPTION",
                    "Expected a number from 0 to 1 (or -1 for the preset's value) for %s but received %r" % (name, value),
                    {"name": name},
                )
            else:
                values[name] = value
        return cls(
            preset or None,
            scale or None,
            face_restore=face_restore or None,
            face_restore_strength=strength,
            device=device if device is not None and device >= 0 else None,
            **values,
        )

    def query(self) -> List[Tuple[str, str]]:
        """The job's query parameters, in the order docs/api.md lists them."""
        pairs: List[Tuple[str, str]] = []
        if self.preset:
            pairs.append(("preset", self.preset))
        if self.scale:
            pairs.append(("scale", str(int(self.scale))))
        for name in ("creativity", "resemblance", "denoise"):
            value = getattr(self, name)
            if value is not None:
                pairs.append((name, format_number(value)))
        if self.face_restore:
            pairs.append(("faceRestore", self.face_restore))
        if self.face_restore_strength is not None:
            pairs.append(("faceRestoreStrength", format_number(self.face_restore_strength)))
        if self.device is not None:
            pairs.append(("device", str(int(self.device))))
        return pairs


def format_number(value: float) -> str:
    """Short decimal text: slider doubles like 0.35000000000000003 are sent as 0.35."""
    text = "%.4f" % float(value)
    text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def encode_query(pairs: List[Tuple[str, str]]) -> str:
    return "&".join("%s=%s" % (quote(key, safe=""), quote(value, safe="")) for key, value in pairs)


class HttpRequest:
    """One request, built without touching the network (so tests can inspect it)."""

    def __init__(self, method: str, path: str, headers: Dict[str, str], body: Optional[bytes] = None):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body


def auth_headers(token: Optional[str]) -> Dict[str, str]:
    headers = {"Accept": "application/json", "User-Agent": "%s/%d" % (CLIENT_NAME, PROTOCOL_VERSION)}
    if token:
        headers["Authorization"] = "Bearer " + token
    return headers


def build_job_request(token: str, options: JobOptions, image: RawImage, prefix: str = "", color_profile: Optional[str] = None) -> HttpRequest:
    """`POST /v1/jobs` with raw pixels: the job's options, the pixel layout, and `format=raw`
    so the result comes back as pixels whatever the daemon's default."""
    pairs = options.query() + [
        ("width", str(image.width)),
        ("height", str(image.height)),
        ("channels", str(image.channels)),
        ("bitDepth", str(image.bit_depth)),
    ]
    if color_profile:
        pairs.append(("colorProfile", color_profile[:256]))
    pairs += [("crc32", image.crc32()), ("format", "raw")]
    headers = auth_headers(token)
    headers["Content-Type"] = "application/octet-stream"
    headers["Content-Length"] = str(len(image.data))
    return HttpRequest("POST", prefix + "/v1/jobs?" + encode_query(pairs), headers, image.data)


def job_path(job_id: str, suffix: str = "", prefix: str = "") -> str:
    return "%s/v1/jobs/%s%s" % (prefix, quote(job_id, safe=""), suffix)


# ------------------------------------------------------------------ parsing answers

def parse_error_body(status: int, body: bytes) -> BridgeError:
    """An error answer (`{"error": {code, message, data}}`) as a BridgeError; anything else as DAEMON_BAD_RESPONSE."""
    try:
        payload = json.loads(body.decode("utf-8"))
        error = payload["error"]
        code = error["code"]
        message = error.get("message") or ""
        data = error.get("data") or {}
        if not isinstance(code, str) or not isinstance(data, dict):
            raise ValueError("malformed error")
        return BridgeError(code, message, data, status)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        snippet = body[:200].decode("utf-8", "replace")
        return BridgeError(DAEMON_BAD_RESPONSE, "HTTP %d with an unexpected body: %s" % (status, snippet), {"status": status}, status)


def parse_json(body: bytes, what: str) -> Dict[str, Any]:
    try:
        value = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected JSON for %s but received %r" % (what, body[:120]))
    if not isinstance(value, dict):
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a JSON object for %s" % what)
    return value


def parse_event_line(line: bytes) -> Optional[Dict[str, Any]]:
    """One NDJSON line of `/v1/jobs/{id}/events`; None for a blank line or an unknown event type."""
    text = line.decode("utf-8", "replace").strip()
    if not text:
        return None
    try:
        event = json.loads(text)
    except ValueError:
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected one JSON object per event line but received %r" % text[:120])
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected an event with a type but received %r" % text[:120])
    kind = event["type"]
    if kind == "progress":
        fraction = event.get("fraction")
        if not _is_number(fraction) or not 0 <= fraction <= 1:
            raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a number from 0 to 1 for progress.fraction but received %r" % (fraction,))
        if event.get("stage") not in STAGES:
            raise BridgeError(DAEMON_BAD_RESPONSE, "Expected one of %s for progress.stage but received %r" % (", ".join(STAGES), event.get("stage")))
        for key in ("tile", "tiles"):
            # Absent while no tiles are counted (newer daemons); a count when present.
            if key in event and not (isinstance(event[key], int) and not isinstance(event[key], bool) and event[key] >= 0):
                raise BridgeError(DAEMON_BAD_RESPONSE, "Expected an integer of at least 0 for progress.%s but received %r" % (key, event[key]))
        return event
    if kind == "done":
        if not isinstance(event.get("result"), dict):
            raise BridgeError(DAEMON_BAD_RESPONSE, "Expected an object for done.result but received %r" % (event.get("result"),))
        return event
    if kind == "cancelled":
        return event
    if kind == "failed":
        error = event.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), str):
            raise BridgeError(DAEMON_BAD_RESPONSE, "Expected an error with a code for failed.error but received %r" % (error,))
        return event
    # Newer daemons may add event types; an older plug-in ignores them.
    return None


STAGE_WORDS = {
    "queued": "Waiting for the daemon",
    "decode": "Reading the pixels",
    "faces": "Finding faces",
    "upscale": "Upscaling",
    "blend": "Blending faces and background",
    "review": "Checking the face at 100 %",
    "encode": "Preparing the result",
}


def progress_text(event: Mapping[str, Any]) -> str:
    """The status line for a progress event: stage, tile and time left when known."""
    stage = event.get("stage")
    text = STAGE_WORDS.get(stage, str(stage or "Working"))
    details = []
    # Newer daemons send tile and tiles only while a model's tiles are counted.
    tiles = event.get("tiles")
    if stage == "upscale" and _is_number(tiles) and tiles > 1:
        details.append("tile %d of %d" % (min(int(event.get("tile") or 0) + 1, tiles), tiles))
    eta = event.get("etaSeconds")
    if isinstance(eta, (int, float)) and eta > 0:
        details.append("about %s left" % format_duration(eta))
    return "Portrait Upscale: %s%s" % (text, " (" + ", ".join(details) + ")" if details else "…")


# The daemon's notes on a result (`result.notes`, newer daemons), in the plug-in's words. A code
# the plug-in does not know (a newer daemon, or NOTICE) is shown in the daemon's own words.
NOTE_WORDS = {
    "NO_FACE": "No face was found: the whole image was upscaled as background, with no special care for faces.",
    "SMALL_FACE": "The face is small in the source: this is careful enlargement, not face reconstruction, so its detail stays conservative.",
    "SPECULATIVE_SCALE": "At this scale most fine detail is the models' guess: compare at 100 % before printing.",
    "FIDELITY_ONLY": "Only the fidelity model ran: no detail was invented.",
    "GRAIN_KEPT": "The source's film grain was measured and carried into the result.",
    "CLEANED": "A clean-up pass removed compression artifacts before upscaling.",
    "FACES_RESTORED": "Faces were redrawn by the face-restore model you brought: compare them with the source, as restoration can change a likeness.",
    "MESH_FALLBACK": "Some faces were too small, turned or unclear for the face mesh: their eyes, nose and lips were located approximately, so the care there is broader.",
    "HAIRLINE_FALLBACK": "The hairline was taken from the face's outline, not from the person's silhouette (no person was found, or the matte model is missing), so its care follows the forehead more loosely.",
}


def note_lines(result: Optional[Mapping[str, Any]]) -> List[str]:
    """The notes of a finished job's result, one sentence each; [] when there are none (or the
    daemon predates notes)."""
    notes = result.get("notes") if isinstance(result, Mapping) else None
    if not isinstance(notes, list):
        return []
    lines: List[str] = []
    for note in notes:
        if not isinstance(note, Mapping):
            continue
        message = note.get("message")
        text = NOTE_WORDS.get(note.get("code")) or (message if isinstance(message, str) else "")
        if text and text not in lines:
            lines.append(text)
    return lines


def result_message(result: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The message shown after a job when the daemon had something to say about its result."""
    lines = note_lines(result)
    if not lines:
        return None
    return "Portrait Upscale: done. Please note:\n" + "\n".join("• " + line for line in lines)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def describe_duration(seconds: float) -> str:
    """Words for a predicted duration, as the CLI and the panel say them (shared/src/duration.ts):
    "a few seconds", "about 40 s", "about 3 min", "about 1 h 20 min"."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 60:
        return "about %d s" % (_round_half_up(seconds / 5) * 5)
    minutes = _round_half_up(seconds / 60)
    if minutes < 60:
        return "about %d min" % minutes
    hours, rest = divmod(minutes, 60)
    return "about %d h" % hours if rest == 0 else "about %d h %d min" % (hours, rest)


def _round_half_up(value: float) -> int:
    """JavaScript's Math.round (Python's round() goes to even at .5)."""
    return int(math.floor(value + 0.5))


def parse_estimate(value: Mapping[str, Any]) -> Dict[str, Any]:
    """A `GET /v1/estimate` answer, checked: seconds, provider, device, calibrated, models."""
    seconds = value.get("seconds")
    if not _is_number(seconds) or seconds < 0:
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a number of at least 0 for estimate.seconds but received %r" % (seconds,))
    provider = value.get("provider")
    if not isinstance(provider, str) or not provider:
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a provider name for estimate.provider but received %r" % (provider,))
    if not isinstance(value.get("calibrated"), bool):
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a boolean for estimate.calibrated but received %r" % (value.get("calibrated"),))
    return dict(value)


def estimate_text(estimate: Mapping[str, Any]) -> str:
    """"about 3 min on CPU", and a word when the daemon's machine is not calibrated."""
    text = "%s on %s" % (describe_duration(estimate["seconds"]), str(estimate["provider"]).upper())
    return text if estimate.get("calibrated") else text + " (uncalibrated)"


def estimate_line(url: str, options: JobOptions, width: int, height: int, token_file: Optional[str] = None) -> str:
    """The dialog's line for the chosen settings: "Estimate: about 3 min on CPU", or why there is
    none (no daemon, an older daemon, a refused setting). Never raises: it is advice."""
    try:
        client = DaemonClient(url)
        client.token_file = token_file or token_path()
        client.token = read_token(client.token_file)
        return "Estimate: " + estimate_text(client.estimate(options, width, height))
    except BridgeError as error:
        if error.code == "NOT_FOUND":
            return "Estimate: this daemon is too old to say; update Portrait Upscale."
        return "Estimate unavailable: " + error.user_message()
    except (OSError, http.client.HTTPException) as error:
        return "Estimate unavailable: %s" % error


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return "%d s" % max(seconds, 1)
    return "%d min %02d s" % (seconds // 60, seconds % 60)


def raw_result(headers: Mapping[str, str], body: bytes) -> RawImage:
    """The raw result's pixels from the X-Image-* headers, checked against the CRC when sent."""
    lower = {key.lower(): value for key, value in headers.items()}
    try:
        width = int(lower["x-image-width"])
        height = int(lower["x-image-height"])
        channels = int(lower["x-image-channels"])
        bit_depth = int(lower["x-image-bit-depth"])
    except (KeyError, ValueError):
        raise BridgeError(DAEMON_BAD_RESPONSE, "The result lacks its X-Image-Width/Height/Channels/Bit-Depth headers")
    image = RawImage(width, height, channels, bit_depth, body)
    sent = lower.get("x-image-crc32")
    if sent and sent.lower() != image.crc32():
        raise BridgeError("CHECKSUM_MISMATCH", "The result's CRC-32 is %s but the header says %s" % (image.crc32(), sent), {"expected": sent})
    return image


def check_limits(info: Mapping[str, Any], width: int, height: int, options: JobOptions) -> int:
    """Refuses, before any pixels travel, a layer the daemon would refuse anyway; returns the scale
    the job will run at (the option, else the preset's, else the daemon's default preset's)."""
    presets = {p.get("id"): p for p in info.get("presets") or [] if isinstance(p, Mapping)}
    preset = presets.get(options.preset or info.get("defaultPreset"))
    if options.preset and presets and preset is None:
        raise BridgeError("PRESET_UNKNOWN", "Expected one of %s for preset but received %r" % (", ".join(sorted(k for k in presets if k)), options.preset),
                          {"preset": options.preset})
    scale = int(options.scale or (preset or {}).get("scale") or 0)
    limits = info.get("limits") or {}
    max_in = limits.get("maxInputPixels")
    if _is_number(max_in) and width * height > max_in:
        raise BridgeError("INPUT_TOO_LARGE", "The layer has %d pixels; the daemon accepts at most %d" % (width * height, max_in),
                          {"pixels": width * height, "limit": max_in})
    max_out = limits.get("maxOutputPixels")
    if scale and _is_number(max_out) and width * height * scale * scale > max_out:
        raise BridgeError("OUTPUT_TOO_LARGE", "At %d× the result would have %d pixels; the daemon allows at most %d"
                          % (scale, width * height * scale * scale, max_out), {"pixels": width * height * scale * scale, "limit": max_out})
    return scale


# ------------------------------------------------------------------ the dialog's choices

DAEMON_DEFAULT_CHOICE = "daemon-default"
# (nick, scale, label); scale 0 means the preset's own.
SCALE_CHOICES = (("preset", 0, "Preset's scale"), ("x2", 2, "2×"), ("x3", 3, "3×"), ("x4", 4, "4×"), ("x6", 6, "6×"), ("x8", 8, "8×"))


def preset_entries(presets: List[Mapping[str, Any]], default: Optional[str]) -> Tuple[List[Tuple[str, str, str]], str]:
    """(nick, label, help) for each preset, locked ones marked, and the nick to preselect.
    Without presets (no daemon) the one entry stands for the daemon's default."""
    entries = []
    for preset in presets:
        if not isinstance(preset, Mapping) or not isinstance(preset.get("id"), str) or not preset["id"]:
            continue
        label = str(preset.get("name") or preset["id"])
        if preset.get("locked"):
            label += " (locked)"
        entries.append((preset["id"], label, str(preset.get("description") or "")))
    if not entries:
        return [(DAEMON_DEFAULT_CHOICE, "Daemon's default preset (daemon not reachable)", "")], DAEMON_DEFAULT_CHOICE
    nicks = [nick for nick, _, _ in entries]
    return entries, default if default in nicks else nicks[0]


# The face-restore chooser: the preset's choice, none, or one of the daemon's brought models.
FACE_RESTORE_PRESET_CHOICE = "preset"
FACE_RESTORE_OFF_CHOICE = "off"
FACE_RESTORE_ARGUMENT = re.compile(r"^(off|(user:)?[a-z0-9][a-z0-9-]{0,47})$")


def face_restore_entries(models: List[Mapping[str, Any]]) -> List[Tuple[str, str, str]]:
    """(nick, label, help) for the face-restore chooser: the daemon's models of role
    face-restore (`GET /v1/info` models), after "the preset's" and "none". Empty when the
    daemon has none, so the dialog leaves the chooser out."""
    entries = []
    for model in models or []:
        if not isinstance(model, Mapping) or model.get("role") != "face-restore":
            continue
        model_id = model.get("id")
        if not isinstance(model_id, str) or not model_id.startswith("user:"):
            continue
        # Choice nicks are plain words: "user:faces" becomes "user-faces".
        entries.append(("user-" + model_id[len("user:"):], str(model.get("name") or model_id), model_id))
    if not entries:
        return []
    return [(FACE_RESTORE_PRESET_CHOICE, "The preset's", ""), (FACE_RESTORE_OFF_CHOICE, "None", "")] + entries


def face_restore_from_choice(nick: Optional[str]) -> str:
    """The `face-restore` argument for a chooser entry ("" keeps the preset's)."""
    if not nick or nick == FACE_RESTORE_PRESET_CHOICE:
        return ""
    if nick == FACE_RESTORE_OFF_CHOICE:
        return "off"
    return "user:" + nick[len("user-"):] if nick.startswith("user-") else ""


# The device chooser: the daemon's default, or one of the devices it lists.
DEVICE_DEFAULT_CHOICE = "default"
MAX_DEVICE_ID = 64


def device_entries(devices: List[Mapping[str, Any]]) -> List[Tuple[str, str, str]]:
    """(nick, label, help) for the device chooser: "the daemon's default", then each device
    `GET /v1/devices` lists. Empty when the daemon lists fewer than two (nothing to choose),
    so the dialog leaves the chooser out."""
    entries = []
    for device in devices or []:
        if not isinstance(device, Mapping) or not isinstance(device.get("id"), int) or isinstance(device.get("id"), bool):
            continue
        name = str(device.get("name") or "Device %d" % device["id"])
        memory = device.get("memoryBytes")
        label = name + (" · %d GB" % round(memory / 1024 ** 3) if _is_number(memory) and memory > 0 else "")
        entries.append(("device-%d" % device["id"], label + (" (default)" if device.get("default") is True else ""), str(device.get("provider") or "")))
    if len(entries) < 2:
        return []
    return [(DEVICE_DEFAULT_CHOICE, "The daemon's default", "")] + entries


def device_from_choice(nick: Optional[str]) -> int:
    """The `device` argument for a chooser entry (-1 for the daemon's default)."""
    if nick and nick.startswith("device-") and nick[len("device-"):].isdigit():
        return int(nick[len("device-"):])
    return -1


def preset_from_choice(nick: Optional[str]) -> str:
    """The `preset` argument for a dialog choice ("" asks for the daemon's default)."""
    return "" if not nick or nick == DAEMON_DEFAULT_CHOICE else nick


def scale_from_choice(nick: Optional[str]) -> int:
    """The `scale` argument for a dialog choice (0 keeps the preset's)."""
    return next((scale for choice, scale, _ in SCALE_CHOICES if choice == nick), 0)


# ------------------------------------------------------------------ the connection

class DaemonClient:
    """Talks to one daemon. Every method raises BridgeError with a code on failure."""

    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None, token_file: Optional[str] = None, quick_timeout: float = QUICK_TIMEOUT):
        self.quick_timeout = quick_timeout
        self.url = (url or DEFAULT_URL).strip()
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BridgeError("INVALID_OPTION", "Expected a daemon URL like %s but received %r" % (DEFAULT_URL, url), {"name": "url"})
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.token_file = token_file

    # -- plumbing

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def _open(self, request: HttpRequest, timeout: float) -> Tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        connection = self._connection(timeout)
        try:
            connection.request(request.method, request.path, body=request.body, headers=request.headers)
            response = connection.getresponse()
        except (ConnectionRefusedError, socket.gaierror) as error:
            connection.close()
            raise BridgeError(DAEMON_NOT_RUNNING, "Cannot connect to %s: %s" % (self.url, error), {"url": self.url})
        except socket.timeout:
            connection.close()
            raise BridgeError(DAEMON_NOT_RUNNING, "The daemon at %s did not answer in time" % self.url, {"url": self.url})
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            connection.close()
            raise BridgeError(DAEMON_NOT_RUNNING, "The connection to %s failed: %s" % (self.url, error), {"url": self.url})
        return connection, response

    def _call(self, request: HttpRequest, timeout: Optional[float] = None, expect: Tuple[int, ...] = (200,)) -> Tuple[Dict[str, str], bytes]:
        connection, response = self._open(request, timeout or self.quick_timeout)
        try:
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise BridgeError(DAEMON_BAD_RESPONSE, "The answer from %s broke off: %s" % (self.url, error), {"url": self.url})
        finally:
            connection.close()
        if response.status not in expect:
            error = parse_error_body(response.status, body)
            if error.code in ("AUTH_INVALID", "AUTH_REQUIRED") and self.token_file:
                error.data.setdefault("tokenPath", self.token_file)
            raise error
        return dict(response.getheaders()), body

    def _get(self, path: str, authenticated: bool = True) -> Dict[str, Any]:
        _, body = self._call(HttpRequest("GET", self.prefix + path, auth_headers(self.token if authenticated else None)))
        return parse_json(body, "GET " + path)

    # -- endpoints

    def health(self) -> Dict[str, Any]:
        """`GET /v1/health`; DAEMON_INCOMPATIBLE unless it is our daemon at our protocol version."""
        try:
            health = self._get("/v1/health", authenticated=False)
        except BridgeError as error:
            if error.code in (DAEMON_BAD_RESPONSE, "NOT_FOUND"):
                raise BridgeError(DAEMON_INCOMPATIBLE, "%s does not answer like a Portrait Upscale daemon" % self.url, {"url": self.url})
            raise
        if health.get("name") != "portrait-upscale":
            raise BridgeError(DAEMON_INCOMPATIBLE, "%s is %r, not a Portrait Upscale daemon" % (self.url, health.get("name")), {"url": self.url})
        if health.get("protocol") != PROTOCOL_VERSION:
            raise BridgeError(
                "PROTOCOL_VERSION_MISMATCH",
                "The daemon speaks protocol %r, this plug-in %d" % (health.get("protocol"), PROTOCOL_VERSION),
                {"daemon": health.get("protocol"), "client": PROTOCOL_VERSION},
            )
        return health

    def info(self) -> Dict[str, Any]:
        """`GET /v1/info`: versions, providers, models, presets, default preset, limits."""
        return self._get("/v1/info")

    def devices(self) -> List[Dict[str, Any]]:
        """`GET /v1/devices`: the devices jobs can run on; [] from a daemon that predates the choice."""
        try:
            devices = self._get("/v1/devices").get("devices")
        except BridgeError as error:
            if error.code == "NOT_FOUND":
                return []
            raise
        if not isinstance(devices, list):
            raise BridgeError(DAEMON_BAD_RESPONSE, "GET /v1/devices did not list devices.")
        return devices

    def presets(self) -> List[Dict[str, Any]]:
        """`GET /v1/presets`."""
        presets = self._get("/v1/presets").get("presets")
        if not isinstance(presets, list):
            raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a list of presets")
        return presets

    def submit(self, image: RawImage, options: JobOptions, color_profile: Optional[str] = None) -> str:
        """`POST /v1/jobs` with raw pixels; returns the job id."""
        request = build_job_request(self.token or "", options, image, self.prefix, color_profile)
        _, body = self._call(request, TRANSFER_TIMEOUT, expect=(200, 201, 202))
        job_id = parse_json(body, "POST /v1/jobs").get("id")
        if not isinstance(job_id, str) or not job_id:
            raise BridgeError(DAEMON_BAD_RESPONSE, "The daemon accepted the job but sent no id")
        return job_id

    def estimate(self, options: JobOptions, width: int, height: int, timeout: Optional[float] = None) -> Dict[str, Any]:
        """`GET /v1/estimate`: what the job would cost on this daemon, before any pixel is sent."""
        query = encode_query(options.query() + [("width", str(int(width))), ("height", str(int(height)))])
        _, body = self._call(HttpRequest("GET", "%s/v1/estimate?%s" % (self.prefix, query), auth_headers(self.token)), timeout)
        return parse_estimate(parse_json(body, "GET /v1/estimate"))

    def status(self, job_id: str) -> Dict[str, Any]:
        """`GET /v1/jobs/{id}`."""
        return self._get(job_path(job_id))

    def cancel(self, job_id: str) -> Dict[str, Any]:
        """`DELETE /v1/jobs/{id}`: cancels a running job, or frees a finished job's result."""
        _, body = self._call(HttpRequest("DELETE", job_path(job_id, prefix=self.prefix), auth_headers(self.token)))
        return parse_json(body, "DELETE job")

    def events(self, job_id: str, timeout: float = EVENT_TIMEOUT) -> Iterator[Dict[str, Any]]:
        """The job's NDJSON events as they arrive; ends after `done`, `failed` or `cancelled`."""
        request = HttpRequest("GET", job_path(job_id, "/events", self.prefix), auth_headers(self.token))
        request.headers["Accept"] = "application/x-ndjson"
        connection, response = self._open(request, timeout)
        try:
            if response.status != 200:
                raise parse_error_body(response.status, response.read())
            while True:
                line = response.readline()
                if not line:
                    return
                event = parse_event_line(line)
                if event is None:
                    continue
                yield event
                if event["type"] != "progress":
                    return
        finally:
            connection.close()

    def release(self, job_id: str) -> None:
        """Frees a finished job's result on the daemon now rather than at expiry; failures do not matter."""
        try:
            self.cancel(job_id)
        except BridgeError:
            pass

    def result(self, job_id: str) -> RawImage:
        """`GET /v1/jobs/{id}/result?format=raw` as pixels."""
        path = job_path(job_id, "/result?format=raw", self.prefix)
        headers, body = self._call(HttpRequest("GET", path, auth_headers(self.token)), TRANSFER_TIMEOUT)
        return raw_result(headers, body)


def wait_for_job(
    client: DaemonClient,
    job_id: str,
    on_progress: Callable[[Dict[str, Any]], None],
    poll_interval: float = 0.5,
    event_timeout: float = EVENT_TIMEOUT,
) -> Dict[str, Any]:
    """Follows the job to its end through the event stream (or by polling when the stream breaks
    or is quiet for too long); returns the `done` event, raises the job's error otherwise."""
    use_stream = True
    while True:
        if use_stream:
            try:
                for event in client.events(job_id, event_timeout):
                    if event["type"] == "progress":
                        on_progress(event)
                        continue
                    return _final(event, job_id)
            except BridgeError as error:
                if error.code not in (DAEMON_BAD_RESPONSE, "NOT_FOUND"):
                    raise
                use_stream = False
            except (socket.timeout, OSError, http.client.HTTPException):
                pass
        # The stream ended early, stalled, or is unavailable: ask for the state directly.
        status = client.status(job_id)
        state = status.get("state")
        if state == "done":
            return {"type": "done", "jobId": job_id, "result": status.get("result") or {}}
        if state in ("failed", "cancelled"):
            return _final({"type": state, "jobId": job_id, "error": status.get("error")}, job_id)
        event = {"type": "progress", "jobId": job_id, "stage": status.get("stage"), "fraction": status.get("progress") or 0.0, "etaSeconds": status.get("etaSeconds")}
        for key in ("tile", "tiles", "estimateSeconds"):
            if key in status:
                event[key] = status[key]
        on_progress(event)
        time.sleep(poll_interval)


def _final(event: Dict[str, Any], job_id: str) -> Dict[str, Any]:
    if event["type"] == "done":
        return event
    if event["type"] == "cancelled":
        raise BridgeError("CANCELLED", "The job %s was cancelled" % job_id, {"jobId": job_id})
    error = event.get("error") or {}
    raise BridgeError(str(error.get("code") or "INTERNAL"), str(error.get("message") or ""), error.get("data") or {})


# ------------------------------------------------------------------ cancel when GIMP kills us

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
