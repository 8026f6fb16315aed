import { describe, expect, it } from "vitest";
import { deviceQueries, listGpuDevices, parseNvidiaSmi, parseWindowsVideoControllers } from "./devices";

describe("GPU device lists", () => {
  it("reads nvidia-smi's CSV: index, name, memory in MiB", () => {
    const output = "0, NVIDIA GeForce RTX 4090, 24564\n1, NVIDIA RTX A4000, 16376\n\n";
    expect(parseNvidiaSmi(output)).toEqual([
      { index: 0, name: "NVIDIA GeForce RTX 4090", memoryBytes: 24564 * 1024 ** 2, provider: "cuda" },
      { index: 1, name: "NVIDIA RTX A4000", memoryBytes: 16376 * 1024 ** 2, provider: "cuda" },
    ]);
    expect(parseNvidiaSmi("0, Tesla T4, [N/A]")).toEqual([{ index: 0, name: "Tesla T4", provider: "cuda" }]);
    expect(parseNvidiaSmi("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).toEqual([]);
  });

  it("reads Windows' video controllers in order, without the basic display adapter", () => {
    const many = JSON.stringify([
      { Name: "Intel(R) UHD Graphics 770", AdapterRAM: 1073741824 },
      { Name: "Microsoft Basic Display Adapter", AdapterRAM: 0 },
      { Name: "AMD Radeon RX 7900 XTX", AdapterRAM: 4293918720 },
    ]);
    expect(parseWindowsVideoControllers(many)).toEqual([
      { index: 0, name: "Intel(R) UHD Graphics 770", memoryBytes: 1073741824, provider: "dml" },
      { index: 1, name: "AMD Radeon RX 7900 XTX", memoryBytes: 4293918720, provider: "dml" },
    ]);
    expect(parseWindowsVideoControllers(JSON.stringify({ Name: "NVIDIA GeForce RTX 3060", AdapterRAM: null }))).toEqual([
      { index: 0, name: "NVIDIA GeForce RTX 3060", provider: "dml" },
    ]);
    expect(parseWindowsVideoControllers("")).toEqual([]);
  });

  it.each([
    ["linux", ["cuda", "cpu"], ["nvidia-smi"]],
    ["linux", ["cpu"], []],
    ["win32", ["cuda", "dml", "cpu"], ["nvidia-smi", "powershell.exe"]],
    ["win32", ["dml", "cpu"], ["powershell.exe"]],
    ["darwin", ["coreml", "cpu"], []],
  ] as const)("on %s with %j asks %j", (platform, providers, files) => {
    expect(deviceQueries(platform, providers).map((query) => query.file)).toEqual(files);
  });

  it("answers an empty list where no provider offers a choice", async () => {
    expect(await listGpuDevices(["cpu"], "linux")).toEqual([]);
  });
});
