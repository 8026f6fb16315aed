/** `portrait-upscale doctor`: everything needed to tell why upscaling would not work here. */
import { readdirSync } from "node:fs";
import { arch, platform, versions } from "node:process";
import { verifyModels } from "@portrait-upscale/models";
import {
  autoProvider,
  availableProviders,
  currentPlatformFacts,
  listGpuDevices,
  onnxruntimeVersion,
  physicalCoreCount,
} from "../../inference/index";
import type { CliCommand } from "../command";
import { EXIT_CODES } from "../exit-codes";
import { formatBytes, formatTable, writeJson } from "../output";
import { VERSION } from "../version";

export const doctorCommand: CliCommand = {
  name: "doctor",
  summary: "Check this machine: platform, runtime versions, execution providers, models.",
  usage: ["doctor [--deep] [--json]"],
  details: "Exit code 0 when upscaling can run here, 5 when models are missing or corrupt, 6 when no execution provider can run.",
  options: {
    deep: { type: "boolean", description: "Rehash every model file." },
    json: { type: "boolean", description: "Print one JSON object instead of text." },
  },
  async run(context) {
    const facts = currentPlatformFacts();
    const gpu = gpuDevicePresent();
    // onnxruntime lists WebGPU wherever its binding has it; without a GPU it cannot run.
    const available = availableProviders(facts).filter((name) => name !== "webgpu" || gpu);
    const auto = autoProvider(facts) ?? null;
    const models = await verifyModels({ deep: context.values.deep === true });
    const devices = await listGpuDevices(available);
    const missing = models.filter((model) => model.state !== "present");
    const report = {
      ok: auto !== null && missing.length === 0,
      version: VERSION,
      platform,
      arch,
      node: versions.node,
      onnxruntime: onnxruntimeVersion() ?? null,
      physicalCores: physicalCoreCount(),
      providers: {
        available,
        auto,
        backends: facts.backends,
        cudaLibraryPresent: facts.cudaLibraryPresent,
      },
      devices,
      models: models.map((model) => ({ id: model.id, state: model.state, checkedBy: model.checkedBy, bytes: model.bytes ?? null, reason: model.reason ?? null })),
    };
    if (context.values.json) {
      writeJson(context, report);
    } else {
      const lines = [
        `portrait-upscale ${VERSION}`,
        `platform      ${platform} ${arch}, ${report.physicalCores} physical core(s)`,
        `node          ${versions.node}`,
        `onnxruntime   ${report.onnxruntime ?? "not loadable on this platform"}`,
        `providers     ${available.length > 0 ? available.join(", ") : "none"}${gpu ? "" : " (no GPU found)"}`,
        `auto picks    ${auto ?? "nothing: no execution provider can run here"}`,
        ...devices.map(
          (device) => `device ${String(device.index).padEnd(7)}${device.name}${device.memoryBytes ? `, ${formatBytes(device.memoryBytes)}` : ""} (${device.provider}, --device ${device.index})`,
        ),
      ];
      if (platform === "linux" && !available.includes("cuda")) {
        lines.push("              (for CUDA: install CUDA 12 + cuDNN 9, then run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`)");
      }
      context.stdout.write(`${lines.join("\n")}\n\nmodels\n`);
      context.stdout.write(
        formatTable(models.map((model) => [`  ${model.id}`, model.state, model.checkedBy, formatBytes(model.bytes), model.reason ?? ""])),
      );
      if (missing.length > 0) context.stdout.write("\nSome models are missing or corrupt: run `portrait-upscale models verify --repair`.\n");
    }
    if (auto === null) return EXIT_CODES.runtime;
    return missing.length === 0 ? EXIT_CODES.ok : EXIT_CODES.model;
  },
};

/** Whether the machine shows a GPU: on Linux a DRM render node; elsewhere assumed (DirectX, Metal). */
function gpuDevicePresent(): boolean {
  if (platform !== "linux") return true;
  try {
    return readdirSync("/dev/dri").some((name) => name.startsWith("renderD"));
  } catch {
    return false;
  }
}
