"""The dialog's choosers (preset, scale, face restore, device) and the procedure arguments they stand for."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Tuple

from portrait_upscale_answers import is_number


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
        label = name + (" · %d GB" % round(memory / 1024 ** 3) if is_number(memory) and memory > 0 else "")
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
