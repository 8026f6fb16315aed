# Runs inside gimp-console (python-fu-eval). Reads the cases from the JSON file named by
# PU_SPEC, calls python-fu-portrait-upscale non-interactively on each, dumps the new layer's
# pixels (raw, interleaved, in the case's babl format) and writes a JSON report to spec["report"].
# Raises when anything unexpected happens, so gimp-console exits non-zero.
import json
import os

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

PROCEDURE = "python-fu-portrait-upscale"


def read_pixels(drawable, fmt):
    rect = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return bytes(drawable.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.CLAMP))


def status_name(status):
    return getattr(status, "value_nick", str(status))


def error_message(result):
    # An error status carries the plug-in's GLib.Error message as the second value.
    try:
        value = result.index(1)
        if isinstance(value, str):
            return value
    except Exception:  # noqa: BLE001
        pass
    return Gimp.get_pdb().get_last_error()


def run_case(procedure, case):
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(case["input"]))
    layer = image.get_layers()[0]
    if case.get("precision"):
        image.convert_precision(getattr(Gimp.Precision, case["precision"]))
    if case.get("offsets"):
        layer.set_offsets(*case["offsets"])
    before = read_pixels(layer, case["format"])
    before_offsets = list(layer.get_offsets()[1:])
    size_before = [image.get_width(), image.get_height()]
    layers_before = len(image.get_layers())

    config = procedure.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    for key, value in case.get("args", {}).items():
        config.set_property(key, value)
    result = procedure.run(config)
    status = result.index(0)

    entry = {"name": case["name"], "status": status_name(status), "sizeBefore": size_before}
    if status != Gimp.PDBStatusType.SUCCESS:
        entry["message"] = error_message(result)
        entry["imageSizeAfter"] = [image.get_width(), image.get_height()]
        entry["layerCountAfter"] = len(image.get_layers())
        return entry

    target = result.index(1)
    new_layer = result.index(2)
    with open(case["output"], "wb") as handle:
        handle.write(read_pixels(new_layer, case["format"]))
    entry.update(
        {
            "sameImage": target.get_id() == image.get_id(),
            "imageSize": [target.get_width(), target.get_height()],
            "layerSize": [new_layer.get_width(), new_layer.get_height()],
            "layerName": new_layer.get_name(),
            "layerOffsets": list(new_layer.get_offsets()[1:]),
            "layerHasAlpha": new_layer.has_alpha(),
            "layerNames": [l.get_name() for l in target.get_layers()],
            "layerCountBefore": layers_before,
            "originalUntouched": read_pixels(layer, case["format"]) == before,
            "originalOffsets": list(layer.get_offsets()[1:]),
            "originalOffsetsBefore": before_offsets,
            "originalSize": [layer.get_width(), layer.get_height()],
            "precision": status_name(target.get_precision()),
            "baseType": status_name(target.get_base_type()),
        }
    )
    return entry


def main():
    with open(os.environ["PU_SPEC"], encoding="utf-8") as handle:
        spec = json.load(handle)
    procedure = Gimp.get_pdb().lookup_procedure(PROCEDURE)
    if procedure is None:
        raise RuntimeError("%s is not registered: the plug-in was not found or failed to load" % PROCEDURE)
    report = {"cases": []}
    for case in spec["cases"]:
        report["cases"].append(run_case(procedure, case))
        for image in Gimp.get_images():
            image.delete()
    with open(spec["report"], "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)


main()
