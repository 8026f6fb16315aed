/**
 * What a bundle's daemon loads at run time on its platform, derived from the same target
 * table as the packager: the files the bundle checks look for, and the module requests they
 * resolve the way Node.js would.
 */
import { GIMP_FILES } from "./assemble";
import type { BundleTarget } from "./targets";

/** Paths relative to the bundle's resources folder. */
export function filesTheDaemonLoads(target: BundleTarget): string[] {
  const { platform, arch } = target;
  const ort = `app/node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}`;
  const onnxruntimeLibraries =
    platform === "win32" ? ["onnxruntime.dll", "DirectML.dll"] : platform === "darwin" ? ["libonnxruntime.1.dylib"] : ["libonnxruntime.so.1"];
  return [
    target.runtimePath,
    "app/cli.js",
    "app/inference/worker.js",
    "app/package.json",
    `${ort}/onnxruntime_binding.node`,
    ...onnxruntimeLibraries.map((name) => `${ort}/${name}`),
    "models/manifest.json",
    ...GIMP_FILES.map((file) => `gimp-bridge/portrait-upscale/${file.name}`),
    "panel/portrait-upscale.ccx",
  ];
}

/** `require` calls made at run time: from which file, for what. */
export function requestsTheDaemonMakes(target: BundleTarget): { readonly from: string; readonly request: string }[] {
  const { platform, arch } = target;
  const sharpLoader = "app/node_modules/sharp/dist/sharp.cjs";
  return [
    { from: "app/cli.js", request: "onnxruntime-node" },
    { from: "app/cli.js", request: "sharp" },
    { from: "app/inference/worker.js", request: "onnxruntime-node" },
    { from: "app/node_modules/onnxruntime-node/dist/index.js", request: "onnxruntime-common" },
    { from: sharpLoader, request: "detect-libc" },
    { from: sharpLoader, request: `@img/sharp-${platform}-${arch}/sharp.node` },
    ...(platform === "win32" ? [] : [{ from: sharpLoader, request: `@img/sharp-libvips-${platform}-${arch}/package` }]),
    { from: "app/node_modules/sharp/dist/colour.cjs", request: "@img/colour" },
  ];
}
