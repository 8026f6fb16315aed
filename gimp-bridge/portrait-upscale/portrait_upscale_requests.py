"""The request side of the HTTP API: raw pixels, the job's options, and requests built without the network."""

from __future__ import annotations

import re
import sys
import zlib
from array import array
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote

from portrait_upscale_constants import CLIENT_NAME, MAX_DEVICE_ID, PROTOCOL_VERSION, SCALES
from portrait_upscale_errors import DAEMON_BAD_RESPONSE, IMAGE_UNSUPPORTED, BridgeError


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


# A face-restore procedure argument: "off", or a model the daemon has (user:NAME or NAME).
FACE_RESTORE_ARGUMENT = re.compile(r"^(off|(user:)?[a-z0-9][a-z0-9-]{0,47})$")


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
