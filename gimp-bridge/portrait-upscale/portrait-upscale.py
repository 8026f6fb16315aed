#!/usr/bin/env python3
"""Filters > Enhance > Upscale Portrait…: sends the active layer to the local Portrait Upscale
daemon and puts the result back as a new layer (or a new image), in one undo step.

GIMP 3 only. The protocol side lives in portrait_upscale_client.py beside this file.
"""

import os
import sys
import traceback

# GIMP starts plug-ins with their own folder as the working directory only sometimes.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GLib, GObject  # noqa: E402

import portrait_upscale_client as pu  # noqa: E402

PROCEDURE = "python-fu-portrait-upscale"
# libgimp 3.0's add_choice_aux_argument does not keep its own reference to the Gimp.Choice, so
# the plug-in keeps them alive for as long as the procedure exists.
_CHOICES = []
# How long the dialog waits for the preset list: the menu must not hang on a stalled daemon.
PRESET_LIST_TIMEOUT = 1.5

PRECISION_BITS = {
    "U8": 8,
    "U16": 16,
    "U32": 32,
    "HALF": 16,
    "FLOAT": 32,
    "DOUBLE": 64,
}


def precision_kind(precision):
    """'U8', 'U16', 'U32', 'HALF', 'FLOAT' or 'DOUBLE' for a Gimp.Precision."""
    name = precision.value_nick if hasattr(precision, "value_nick") else str(precision)
    name = str(name).upper().replace("-", "_")
    for kind in ("U8", "U16", "U32", "HALF", "FLOAT", "DOUBLE"):
        if kind in name:
            return kind
    return "FLOAT"


def pixel_format(is_gray, has_alpha, bit_depth):
    """The babl format for the wire layout: perceptual (sRGB-curve) samples, as the models expect."""
    model = ("Y'A" if has_alpha else "Y'") if is_gray else ("R'G'B'A" if has_alpha else "R'G'B'")
    return "%s u%d" % (model, bit_depth)


def layer_type(is_gray, has_alpha):
    if is_gray:
        return Gimp.ImageType.GRAYA_IMAGE if has_alpha else Gimp.ImageType.GRAY_IMAGE
    return Gimp.ImageType.RGBA_IMAGE if has_alpha else Gimp.ImageType.RGB_IMAGE


def color_profile_name(image):
    """The profile's label, carried through the daemon untouched (the pixels never change space)."""
    try:
        profile = image.get_effective_color_profile()
        return profile.get_label() if profile is not None else None
    except Exception:  # noqa: BLE001 - a label is informative only.
        return None


def error_values(procedure, message, status=Gimp.PDBStatusType.EXECUTION_ERROR):
    return procedure.new_return_values(status, GLib.Error(message))


def daemon_info(url):
    """The daemon's `/v1/info` with its `/v1/devices` as "devices", or {} when it cannot be asked right now."""
    try:
        token = pu.read_token(pu.token_path())
        # A short timeout: this runs while GIMP builds the dialog (and while it scans plug-ins).
        client = pu.DaemonClient(url, token, quick_timeout=PRESET_LIST_TIMEOUT)
        info = client.info()
    except Exception:  # noqa: BLE001 - no daemon simply means no list; the run reports why.
        return {}
    try:
        info["devices"] = client.devices()
    except Exception:  # noqa: BLE001 - without a device list the daemon's default is used.
        info["devices"] = []
    return info


def preset_choice(info):
    choice = Gimp.Choice.new()
    presets = [p for p in info.get("presets", []) if isinstance(p, dict) and p.get("id")]
    entries, selected = pu.preset_entries(presets, info.get("defaultPreset"))
    for index, (nick, label, help_text) in enumerate(entries):
        choice.add(nick, index, label, help_text)
    return choice, selected


def optional_choice(entries):
    """A chooser of (nick, label, help) entries, or None when there are none to choose from."""
    if not entries:
        return None
    choice = Gimp.Choice.new()
    for index, (nick, label, help_text) in enumerate(entries):
        choice.add(nick, index, label, help_text)
    return choice


def device_choice(info):
    """The chooser of the daemon's devices, or None when it lists fewer than two."""
    return optional_choice(pu.device_entries(info.get("devices") or []))


def face_restore_choice(info):
    """The chooser of the daemon's face-restore models, or None when it has none."""
    return optional_choice(pu.face_restore_entries(info.get("models") or []))


class Upscale:
    """One run: read the drawable, send it, follow the job, place the result."""

    def __init__(self, image, drawable, options, output, url):
        self.image = image
        self.drawable = drawable
        self.options = options
        self.output = output
        self.url = url
        self.notes = []

    def run(self):
        image, drawable = self.image, self.drawable
        is_gray = image.get_base_type() == Gimp.ImageBaseType.GRAY
        if image.get_base_type() not in (Gimp.ImageBaseType.RGB, Gimp.ImageBaseType.GRAY):
            raise pu.BridgeError(pu.IMAGE_UNSUPPORTED, "Indexed images cannot be upscaled; convert the image to RGB first (Image > Mode > RGB)")
        has_alpha = drawable.has_alpha()
        kind = precision_kind(image.get_precision())
        bit_depth = 8 if kind == "U8" else 16
        if kind not in ("U8", "U16"):
            # Never lose precision silently: say what the round trip does to this image.
            self.notes.append(
                "The image is %d-bit %s; the layer was sent to the daemon at 16 bits per channel "
                "(values outside 0..1 are clipped) and the result was stored back at the image's precision."
                % (PRECISION_BITS[kind], "float" if kind in ("HALF", "FLOAT", "DOUBLE") else "integer")
            )
        fmt = pixel_format(is_gray, has_alpha, bit_depth)
        width, height = drawable.get_width(), drawable.get_height()
        channels = (1 if is_gray else 3) + (1 if has_alpha else 0)

        Gimp.progress_init("Portrait Upscale: connecting to the daemon…")
        client = pu.DaemonClient(self.url)
        client.health()
        client.token_file = pu.token_path()
        client.token = pu.read_token(client.token_file)
        info = client.info()
        preset_id = self.options.preset or info.get("defaultPreset") or "default"
        pu.check_limits(info, width, height, self.options)
        try:
            # Said before anything is sent, as the CLI and the panel say it; the job's ETA starts from it.
            Gimp.progress_set_text("Portrait Upscale: %s, starting…" % pu.estimate_text(client.estimate(self.options, width, height)))
        except pu.BridgeError:
            pass  # A daemon without estimates still runs the job.

        data = drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, width, height), 1.0, fmt, Gegl.AbyssPolicy.CLAMP)
        data = bytes(data)
        if bit_depth == 16:
            data = pu.u16_native_to_little_endian(data)
        source = pu.RawImage(width, height, channels, bit_depth, data)

        Gimp.progress_set_text("Portrait Upscale: sending %d×%d pixels…" % (width, height))
        job_id = client.submit(source, self.options, color_profile_name(image))
        watchdog = pu.CancelOnExit(client, job_id)
        try:
            done = pu.wait_for_job(client, job_id, self.progress)
            Gimp.progress_set_text("Portrait Upscale: receiving the result…")
            result = client.result(job_id)
        finally:
            watchdog.release()
        client.release(job_id)

        if result.width % width or result.height % height or result.width // width != result.height // height:
            raise pu.BridgeError(pu.DAEMON_BAD_RESPONSE, "A %d×%d result is not a whole multiple of the %d×%d layer" % (result.width, result.height, width, height))
        if result.channels != channels:
            raise pu.BridgeError(pu.DAEMON_BAD_RESPONSE, "Sent %d channels but received %d" % (channels, result.channels))
        scale = result.width // width
        pixels = result.data
        if result.bit_depth == 16:
            pixels = pu.u16_little_endian_to_native(pixels)
        out_fmt = pixel_format(is_gray, has_alpha, result.bit_depth)
        name = "%s ×%d (%s)" % (drawable.get_name(), scale, preset_id)
        target, layer = self.place(name, scale, result.width, result.height, out_fmt, pixels, is_gray, has_alpha)
        Gimp.progress_update(1.0)
        Gimp.progress_end()
        # What the daemon noticed about the result (a small face, no face, a speculative scale).
        message = pu.result_message(done.get("result"))
        if message:
            self.notes.append(message)
        for note in self.notes:
            Gimp.message(note)
        return target, layer

    def progress(self, event):
        Gimp.progress_set_text(pu.progress_text(event))
        Gimp.progress_update(max(0.0, min(1.0, float(event.get("fraction") or 0.0))))

    def place(self, name, scale, width, height, fmt, pixels, is_gray, has_alpha):
        image, drawable = self.image, self.drawable
        kind = layer_type(is_gray, has_alpha)
        if self.output == "image":
            target = Gimp.Image.new_with_precision(width, height, image.get_base_type(), image.get_precision())
            target.undo_disable()
            profile = image.get_color_profile()
            if profile is not None:
                target.set_color_profile(profile)
            layer = Gimp.Layer.new(target, name, width, height, kind, 100.0, Gimp.LayerMode.NORMAL)
            target.insert_layer(layer, None, 0)
            self.write(layer, width, height, fmt, pixels)
            target.undo_enable()
            return target, layer

        _, off_x, off_y = drawable.get_offsets()
        image.undo_group_start()
        try:
            # The canvas grows by the scale; existing layers keep their size and place.
            image.resize(image.get_width() * scale, image.get_height() * scale, 0, 0)
            layer = Gimp.Layer.new(image, name, width, height, kind, 100.0, Gimp.LayerMode.NORMAL)
            parent = drawable.get_parent() if isinstance(drawable, Gimp.Layer) else None
            position = image.get_item_position(drawable) if isinstance(drawable, Gimp.Layer) else 0
            image.insert_layer(layer, parent, position)
            layer.set_offsets(off_x * scale, off_y * scale)
            self.write(layer, width, height, fmt, pixels)
        finally:
            image.undo_group_end()
        return image, layer

    @staticmethod
    def write(layer, width, height, fmt, pixels):
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), fmt, pixels)
        buffer.flush()
        layer.update(0, 0, width, height)


def chosen_device(config):
    """The dialog's device (-1, the daemon's default, when the dialog has no chooser)."""
    if "device-choice" not in [spec.name for spec in config.list_properties()]:
        return -1
    return pu.device_from_choice(config.get_property("device-choice"))


def dialog_options(config):
    """The job options the dialog's current values describe."""
    return pu.JobOptions.from_arguments(
        pu.preset_from_choice(config.get_property("preset-choice")),
        pu.scale_from_choice(config.get_property("scale-choice")),
        config.get_property("creativity"),
        config.get_property("resemblance"),
        config.get_property("denoise"),
        device=chosen_device(config),
    )


def follow_estimate(dialog, config, drawable):
    """A line under the dialog's settings with the daemon's estimate for the layer, asked again
    whenever a setting changes (the daemon answers in milliseconds)."""
    gi.require_version("Gtk", "3.0")
    from gi.repository import Gtk

    label = Gtk.Label(label="Estimate: asking the daemon…", xalign=0.0)
    label.set_line_wrap(True)
    dialog.get_content_area().pack_end(label, False, False, 6)
    label.show()
    width, height = drawable.get_width(), drawable.get_height()

    def refresh(*_):
        try:
            options = dialog_options(config)
        except pu.BridgeError as error:
            label.set_text("Estimate unavailable: " + error.user_message())
            return
        label.set_text(pu.estimate_line(config.get_property("daemon-url"), options, width, height))

    config.connect("notify", refresh)
    refresh()


def run_upscale(procedure, run_mode, image, drawables, config, data):
    if len(drawables) != 1:
        return error_values(procedure, "Select exactly one layer to upscale.", Gimp.PDBStatusType.CALLING_ERROR)
    drawable = drawables[0]

    if run_mode == Gimp.RunMode.INTERACTIVE:
        gi.require_version("GimpUi", "3.0")
        from gi.repository import GimpUi

        GimpUi.init(PROCEDURE)
        dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
        # The face-restore chooser and its strength only when the daemon has a face-restore model.
        restore = ["face-restore-choice", "face-restore-strength"] if procedure.find_aux_argument("face-restore-choice") else []
        # The device chooser only when the daemon lists more than one device.
        device = ["device-choice"] if procedure.find_aux_argument("device-choice") else []
        dialog.fill(["preset-choice", "scale-choice", "creativity", "resemblance", "denoise", *restore, *device, "output", "daemon-url"])
        follow_estimate(dialog, config, drawable)
        accepted = dialog.run()
        dialog.destroy()
        if not accepted:
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
        config.set_property("preset", pu.preset_from_choice(config.get_property("preset-choice")))
        config.set_property("scale", pu.scale_from_choice(config.get_property("scale-choice")))
        if restore:
            config.set_property("face-restore", pu.face_restore_from_choice(config.get_property("face-restore-choice")))
        if device:
            config.set_property("device", chosen_device(config))

    try:
        options = pu.JobOptions.from_arguments(
            config.get_property("preset"),
            config.get_property("scale"),
            config.get_property("creativity"),
            config.get_property("resemblance"),
            config.get_property("denoise"),
            config.get_property("face-restore"),
            config.get_property("face-restore-strength"),
            config.get_property("device"),
        )
        target, layer = Upscale(image, drawable, options, config.get_property("output"), config.get_property("daemon-url")).run()
    except pu.BridgeError as error:
        Gimp.progress_end()
        status = Gimp.PDBStatusType.CANCEL if error.code == "CANCELLED" else Gimp.PDBStatusType.EXECUTION_ERROR
        return error_values(procedure, "Upscale Portrait: " + error.user_message(), status)
    except Exception as error:  # noqa: BLE001 - an unexpected failure still gets a sentence, plus a trace for a bug report.
        traceback.print_exc()
        return error_values(procedure, "Upscale Portrait failed unexpectedly: %s. Please report this with GIMP's error console output." % error)

    if target is not image and run_mode == Gimp.RunMode.INTERACTIVE:
        Gimp.Display.new(target)
    Gimp.displays_flush()

    values = procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())
    values.remove(1)
    values.insert(1, GObject.Value(Gimp.Image, target))
    values.remove(2)
    values.insert(2, GObject.Value(Gimp.Layer, layer))
    return values


class PortraitUpscale(Gimp.PlugIn):
    def do_set_i18n(self, name):
        return False

    def do_query_procedures(self):
        return [PROCEDURE]

    def do_create_procedure(self, name):
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run_upscale, None)
        procedure.set_image_types("RGB*, GRAY*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label("Upscale Portrait…")
        procedure.add_menu_path("<Image>/Filters/Enhance")
        procedure.set_documentation(
            "Upscale a portrait with the local Portrait Upscale daemon",
            "Sends the selected layer to the Portrait Upscale daemon running on this machine "
            "(start it with: npx portrait-upscale serve) and adds the result as a new layer in the "
            "enlarged image, aligned with the original, or as a new image. 8- and 16-bit images "
            "round-trip at their own depth; 32-bit images travel at 16 bits per channel. "
            "Scale 0, an empty face restore and negative creativity, resemblance, denoise or "
            "face-restore strength mean the preset's value; device -1 means the daemon's default device.",
            name,
        )
        procedure.set_attribution("Portrait Upscale", "Portrait Upscale contributors", "2026")

        procedure.add_string_argument("preset", "Preset", "Preset id; empty for the daemon's default preset", "", GObject.ParamFlags.READWRITE)
        procedure.add_int_argument("scale", "Scale", "2, 3, 4, 6 or 8; 0 for the preset's scale", 0, 8, 0, GObject.ParamFlags.READWRITE)
        procedure.add_double_argument("creativity", "Creativity", "0..1; -1 for the preset's value", -1.0, 1.0, -1.0, GObject.ParamFlags.READWRITE)
        procedure.add_double_argument("resemblance", "Resemblance", "0..1; -1 for the preset's value", -1.0, 1.0, -1.0, GObject.ParamFlags.READWRITE)
        procedure.add_double_argument("denoise", "Denoise", "0..1; -1 for the preset's value", -1.0, 1.0, -1.0, GObject.ParamFlags.READWRITE)
        procedure.add_string_argument(
            "face-restore", "Face restore", "A face-restore model on the daemon (user:NAME), off for none, empty for the preset's", "", GObject.ParamFlags.READWRITE
        )
        procedure.add_double_argument(
            "face-restore-strength", "Face restore _strength", "0..1; -1 for the preset's value (0.5 when the preset has none)", -1.0, 1.0, -1.0, GObject.ParamFlags.READWRITE
        )
        output = Gimp.Choice.new()
        output.add("layer", 0, "New layer in the enlarged image", "")
        output.add("image", 1, "New image", "")
        _CHOICES.append(output)
        procedure.add_choice_argument("output", "Output", "Where the result goes", output, "layer", GObject.ParamFlags.READWRITE)
        procedure.add_string_argument("daemon-url", "Daemon URL", "Where the daemon listens", pu.DEFAULT_URL, GObject.ParamFlags.READWRITE)
        procedure.add_int_argument(
            "device", "Device", "The daemon's device to run on (GET /v1/devices); -1 for the daemon's default", -1, pu.MAX_DEVICE_ID, -1, GObject.ParamFlags.READWRITE
        )

        # Dialog-only choices: the daemon's presets (asked now, so the list is current) and the scales.
        info = daemon_info(os.environ.get("PORTRAIT_UPSCALE_URL") or pu.DEFAULT_URL)
        presets, default = preset_choice(info)
        _CHOICES.append(presets)
        procedure.add_choice_aux_argument("preset-choice", "_Preset", "The daemon's presets; locked ones refuse changes", presets, default, GObject.ParamFlags.READWRITE)
        restore = face_restore_choice(info)
        if restore is not None:
            _CHOICES.append(restore)
            procedure.add_choice_aux_argument(
                "face-restore-choice", "_Face restore", "Restore faces after the upscale with a model brought to the daemon", restore, pu.FACE_RESTORE_PRESET_CHOICE, GObject.ParamFlags.READWRITE
            )
        devices = device_choice(info)
        if devices is not None:
            _CHOICES.append(devices)
            procedure.add_choice_aux_argument(
                "device-choice", "_Device", "The daemon's device to run on (GPUs on a machine with several)", devices, pu.DEVICE_DEFAULT_CHOICE, GObject.ParamFlags.READWRITE
            )
        scales = Gimp.Choice.new()
        for index, (nick, _, label) in enumerate(pu.SCALE_CHOICES):
            scales.add(nick, index, label, "")
        _CHOICES.append(scales)
        procedure.add_choice_aux_argument("scale-choice", "_Scale", "Output size relative to the layer", scales, "preset", GObject.ParamFlags.READWRITE)

        procedure.add_image_return_value("result-image", "Result image", "The image holding the result", False, GObject.ParamFlags.READWRITE)
        procedure.add_layer_return_value("result-layer", "Result layer", "The new layer", False, GObject.ParamFlags.READWRITE)
        return procedure


Gimp.main(PortraitUpscale.__gtype__, sys.argv)
