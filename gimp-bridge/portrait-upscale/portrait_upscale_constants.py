"""The protocol's fixed values the bridge's modules share: version, default URL, scales, stages, waits."""

from __future__ import annotations


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

# The highest device id a job may name (MAX_DEVICE_ID in shared/src/protocol.ts).
MAX_DEVICE_ID = 64
