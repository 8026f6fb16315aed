"""The daemon's answers checked and read: errors, JSON bodies, job events, estimates, raw results, limits."""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional

from portrait_upscale_constants import STAGES
from portrait_upscale_errors import DAEMON_BAD_RESPONSE, BridgeError
from portrait_upscale_requests import JobOptions, RawImage


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
        if not is_number(fraction) or not 0 <= fraction <= 1:
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


def parse_estimate(value: Mapping[str, Any]) -> Dict[str, Any]:
    """A `GET /v1/estimate` answer, checked: seconds, provider, device, calibrated, models."""
    seconds = value.get("seconds")
    if not is_number(seconds) or seconds < 0:
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a number of at least 0 for estimate.seconds but received %r" % (seconds,))
    provider = value.get("provider")
    if not isinstance(provider, str) or not provider:
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a provider name for estimate.provider but received %r" % (provider,))
    if not isinstance(value.get("calibrated"), bool):
        raise BridgeError(DAEMON_BAD_RESPONSE, "Expected a boolean for estimate.calibrated but received %r" % (value.get("calibrated"),))
    return dict(value)


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
    if is_number(max_in) and width * height > max_in:
        raise BridgeError("INPUT_TOO_LARGE", "The layer has %d pixels; the daemon accepts at most %d" % (width * height, max_in),
                          {"pixels": width * height, "limit": max_in})
    max_out = limits.get("maxOutputPixels")
    if scale and is_number(max_out) and width * height * scale * scale > max_out:
        raise BridgeError("OUTPUT_TOO_LARGE", "At %d× the result would have %d pixels; the daemon allows at most %d"
                          % (scale, width * height * scale * scale, max_out), {"pixels": width * height * scale * scale, "limit": max_out})
    return scale
