"""What the dialog and the status bar say: stages, time left, the daemon's notes on a result, estimates."""

from __future__ import annotations

import math
from typing import Any, List, Mapping, Optional

from portrait_upscale_answers import is_number


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
    if stage == "upscale" and is_number(tiles) and tiles > 1:
        details.append("tile %d of %d" % (min(int(event.get("tile") or 0) + 1, tiles), tiles))
    eta = event.get("etaSeconds")
    if isinstance(eta, (int, float)) and eta > 0:
        details.append("about %s left" % format_duration(eta))
    return "Portrait Upscale: %s%s" % (text, " (" + ", ".join(details) + ")" if details else "…")


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return "%d s" % max(seconds, 1)
    return "%d min %02d s" % (seconds // 60, seconds % 60)


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


def estimate_text(estimate: Mapping[str, Any]) -> str:
    """"about 3 min on CPU", and a word when the daemon's machine is not calibrated."""
    text = "%s on %s" % (describe_duration(estimate["seconds"]), str(estimate["provider"]).upper())
    return text if estimate.get("calibrated") else text + " (uncalibrated)"
