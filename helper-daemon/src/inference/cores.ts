/**
 * Physical core count: onnxruntime is fastest with one intra-op thread per physical core
 * (hyper-threads only compete for the same vector units).
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

let cached: number | undefined;

/** Physical cores on Linux (from /proc/cpuinfo); the logical count elsewhere or when unreadable. */
export function physicalCoreCount(): number {
  cached ??= linuxPhysicalCores() ?? availableParallelism();
  return Math.min(cached, availableParallelism());
}

function linuxPhysicalCores(): number | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const cores = new Set<string>();
    let physicalId = "0";
    for (const line of readFileSync("/proc/cpuinfo", "utf8").split("\n")) {
      const [key, value] = line.split(":").map((part) => part?.trim());
      if (key === "physical id") physicalId = value;
      if (key === "core id") cores.add(`${physicalId}:${value}`);
    }
    return cores.size > 0 ? cores.size : undefined;
  } catch {
    return undefined;
  }
}
