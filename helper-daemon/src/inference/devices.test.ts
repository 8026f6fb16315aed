import { describe, expect, it } from "vitest";
import { checkDevice, deviceQueries, ensureDevice, listGpuDevices, parseNvidiaSmi, parseWindowsVideoControllers, type GpuDevice } from "./devices";

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

describe("checkDevice: a device that does not exist is refused with DEVICE_UNKNOWN", () => {
  const twoCuda: GpuDevice[] = [
    { index: 0, name: "NVIDIA GeForce RTX 4090", provider: "cuda" },
    { index: 1, name: "NVIDIA RTX A4000", provider: "cuda" },
  ];
  it.each([
    { name: "device 1 of two CUDA GPUs", device: 1, request: "cuda" as const, devices: twoCuda, refused: false },
    { name: "device 2 of two CUDA GPUs", device: 2, request: "cuda" as const, devices: twoCuda, refused: true },
    { name: "device 2 with auto, two CUDA GPUs", device: 2, request: "auto" as const, devices: twoCuda, refused: true },
    { name: "device 0 always (the default)", device: 0, request: "cuda" as const, devices: [], refused: false },
    { name: "the CPU ignores the device", device: 5, request: "cpu" as const, devices: twoCuda, refused: false },
    { name: "no list for the provider: the machine cannot tell", device: 3, request: "dml" as const, devices: twoCuda, refused: false },
  ])("$name", ({ device, request, devices, refused }) => {
    const check = () => checkDevice(device, request, devices);
    if (refused) expect(check).toThrow(expect.objectContaining({ code: "DEVICE_UNKNOWN", data: { device, devices: [0, 1] } }));
    else expect(check).not.toThrow();
  });

  it("asks the driver only for a device other than 0 on a GPU provider", async () => {
    const asked: string[][] = [];
    const list = async (providers: readonly string[]) => {
      asked.push([...providers]);
      return twoCuda;
    };
    await ensureDevice(0, "auto", list);
    await ensureDevice(4, "cpu", list);
    expect(asked).toEqual([]);
    await expect(ensureDevice(4, "auto", list)).rejects.toMatchObject({ code: "DEVICE_UNKNOWN", message: "There is no GPU 4: this machine has 0 (NVIDIA GeForce RTX 4090), 1 (NVIDIA RTX A4000)." });
    expect(asked).toEqual([["cuda", "dml"]]);
  });
});
