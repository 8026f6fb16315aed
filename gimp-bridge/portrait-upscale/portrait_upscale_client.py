"""The Portrait Upscale daemon's HTTP API (docs/api.md), for the GIMP plug-in: one import for all of it.

Standard library only: GIMP's bundled Python cannot be relied on to have anything else.
Nothing here imports GIMP, so the whole protocol side is testable with a plain python3. The
parts live in the portrait_upscale_*.py modules beside this one, one responsibility each; this
module names them all, so the plug-in and its tests import one module.
"""

# Every name below is imported to be re-exported: the plug-in and its tests use them as pu.NAME.

from portrait_upscale_constants import (
    CLIENT_NAME,
    CONFIG_DIR_ENV,
    DEFAULT_URL,
    EVENT_TIMEOUT,
    MAX_DEVICE_ID,
    PROTOCOL_VERSION,
    QUICK_TIMEOUT,
    SCALES,
    STAGES,
    START_COMMAND,
    TRANSFER_TIMEOUT,
)
from portrait_upscale_errors import (
    BridgeError,
    DAEMON_BAD_RESPONSE,
    DAEMON_INCOMPATIBLE,
    DAEMON_NOT_RUNNING,
    describe_error,
    ERROR_WORDS,
    IMAGE_UNSUPPORTED,
    TOKEN_MISSING,
)
from portrait_upscale_token import (
    config_dir,
    read_token,
    token_path,
)
from portrait_upscale_requests import (
    auth_headers,
    build_job_request,
    crc32_hex,
    encode_query,
    FACE_RESTORE_ARGUMENT,
    format_number,
    HttpRequest,
    job_path,
    JobOptions,
    RawImage,
    u16_little_endian_to_native,
    u16_native_to_little_endian,
)
from portrait_upscale_answers import (
    check_limits,
    parse_error_body,
    parse_estimate,
    parse_event_line,
    parse_json,
    raw_result,
)
from portrait_upscale_words import (
    describe_duration,
    estimate_text,
    format_duration,
    note_lines,
    NOTE_WORDS,
    progress_text,
    result_message,
    STAGE_WORDS,
)
from portrait_upscale_choices import (
    DAEMON_DEFAULT_CHOICE,
    DEVICE_DEFAULT_CHOICE,
    device_entries,
    device_from_choice,
    face_restore_entries,
    face_restore_from_choice,
    FACE_RESTORE_OFF_CHOICE,
    FACE_RESTORE_PRESET_CHOICE,
    preset_entries,
    preset_from_choice,
    SCALE_CHOICES,
    scale_from_choice,
)
from portrait_upscale_connection import (
    _final,
    DaemonClient,
    estimate_line,
    wait_for_job,
)
from portrait_upscale_watchdog import (
    CancelOnExit,
)
