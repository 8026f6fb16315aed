/**
 * Choosing the inference device per job: the device list (pure), the protocol's `devices`
 * feature and `GET /v1/devices`, DEVICE_UNKNOWN at acceptance before any pixel is stored,
 * the device in the estimate and the status, and the engine running one job per device at a
 * time while jobs on different devices run side by side.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PortraitError, type DeviceSummary } from "@portrait-upscale/shared";
import { JobEngine } from "../../src/jobs/engine";
import { createFakeRunner } from "../../src/jobs/fake-runner";
import type { JobInput, JobRunner } from "../../src/jobs/types";
import type { DaemonCatalog } from "../../src/server/context";
import { DEVICES_ENV, deviceSummaries, injectedDevices, resolveDevice } from "../../src/server/devices";
import { crcOf, jobFolders, startTestDaemon, testCatalog, testImage, waitFor, type TestDaemon } from "./helpers";
import { TestWsClient } from "./ws-client";

const TWO_GPUS: DeviceSummary[] = [
  { id: 0, provider: "cpu", name: "Integrated GPU", default: true },
  { id: 1, provider: "cpu", name: "Discrete GPU", memoryBytes: 8 * 1024 ** 3, default: false },
];
const twoDeviceCatalog: DaemonCatalog = { ...testCatalog, devices: () => TWO_GPUS.map((device) => ({ ...device })) };

function errorOf(action: () => unknown): PortraitError {
  try {
    action();
  } catch (error) {
    if (error instanceof PortraitError) return error;
  }
  throw new Error("expected a PortraitError");
}

describe("the device list", () => {
  it.each([
    { name: "CPU only: one default device", provider: "cpu", device: 0, gpus: [], ids: [0], names: ["CPU"] },
    {
      name: "two CUDA GPUs, the second configured",
      provider: "cuda",
      device: 1,
      gpus: [
        { index: 0, name: "RTX 4090", provider: "cuda", memoryBytes: 24e9 },
        { index: 1, name: "RTX A4000", provider: "cuda" },
      ],
      ids: [0, 1],
      names: ["RTX 4090", "RTX A4000"],
    },
    { name: "the driver cannot tell: the configured device alone", provider: "dml", device: 2, gpus: [], ids: [2], names: ["DML device 2"] },
    {
      name: "another provider's GPUs are not this pool's",
      provider: "dml",
      device: 0,
      gpus: [{ index: 0, name: "RTX 4090", provider: "cuda" }],
      ids: [0],
      names: ["DML device 0"],
    },
  ] as const)("$name", ({ provider, device, gpus, ids, names }) => {
    const list = deviceSummaries(provider, device, gpus);
    expect(list.map((entry) => entry.id)).toEqual(ids);
    expect(list.map((entry) => entry.name)).toEqual(names);
    expect(list.filter((entry) => entry.default).map((entry) => entry.id)).toEqual([device]);
    expect(new Set(list.map((entry) => entry.provider))).toEqual(new Set([provider]));
  });

  it("resolves a job's device: the default when absent, DEVICE_UNKNOWN with the choices otherwise", () => {
    expect(resolveDevice(TWO_GPUS, undefined)).toBe(0);
    expect(resolveDevice(TWO_GPUS, 1)).toBe(1);
    const error = errorOf(() => resolveDevice(TWO_GPUS, 7));
    expect(error.code).toBe("DEVICE_UNKNOWN");
    expect(error.data).toEqual({ device: 7, devices: [0, 1], default: 0 });
    expect(error.message).toBe("There is no device 7 here: choose one of 0 (Integrated GPU), 1 (Discrete GPU).");
  });

  it("reads an injected list for tests, and refuses a malformed one", () => {
    expect(injectedDevices({}, "cpu")).toBeUndefined();
    expect(injectedDevices({ [DEVICES_ENV]: '[{"index":0,"name":"A"},{"index":1,"name":"B"}]' }, "cpu")).toEqual([
      { index: 0, name: "A", provider: "cpu" },
      { index: 1, name: "B", provider: "cpu" },
    ]);
    for (const bad of ["{", "[]", '[{"index":-1,"name":"A"}]', '[{"index":1}]', '"gpu"']) {
      expect(errorOf(() => injectedDevices({ [DEVICES_ENV]: bad }, "cpu")).code).toBe("INVALID_OPTION");
    }
  });
});

let daemon: TestDaemon | undefined;
afterEach(async () => {
  const left = await daemon?.stop();
  daemon = undefined;
  expect(left ?? []).toEqual([]);
});

describe("devices over the protocol", () => {
  it("lists the devices in welcome (feature devices only) and at GET /v1/devices", async () => {
    daemon = await startTestDaemon({ catalog: twoDeviceCatalog });
    const asking = await TestWsClient.connect(daemon, ["devices"]);
    expect(asking.welcome?.features).toEqual(["devices"]);
    expect(asking.welcome?.devices).toEqual(TWO_GPUS);
    const older = await TestWsClient.connect(daemon, ["estimate"]);
    expect(older.welcome).not.toHaveProperty("devices");
    const response = await fetch(`${daemon.url}/v1/devices`, { headers: { Authorization: `Bearer ${daemon.token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ devices: TWO_GPUS });
    expect((await fetch(`${daemon.url}/v1/devices`)).status).toBe(401);
    asking.socket.close();
    older.socket.close();
  });

  it("refuses an unknown device at acceptance, before any pixel is stored, over both transports", async () => {
    daemon = await startTestDaemon({ catalog: twoDeviceCatalog });
    const client = await TestWsClient.connect(daemon, ["devices"]);
    const pixels = testImage(4, 4, 3, 8);
    const image = { width: 4, height: 4, channels: 3, bitDepth: 8, byteLength: pixels.byteLength, crc32: crcOf(pixels) };
    client.send({ type: "submit", requestId: "r1", preset: "portrait-natural", overrides: {}, review: false, device: 5, image });
    expect(await client.next("error")).toMatchObject({ requestId: "r1", code: "DEVICE_UNKNOWN", data: { device: 5, devices: [0, 1], default: 0 } });
    client.send({ type: "estimate", requestId: "e1", preset: "portrait-natural", overrides: {}, device: 5, width: 4, height: 4 });
    expect(await client.next("error")).toMatchObject({ requestId: "e1", code: "DEVICE_UNKNOWN" });
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?device=9&width=4&height=4&channels=3&bitDepth=8`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/octet-stream" },
      body: pixels,
    });
    expect(created.status).toBe(400);
    expect(await created.json()).toMatchObject({ error: { code: "DEVICE_UNKNOWN", data: { device: 9 } } });
    const estimate = await fetch(`${daemon.url}/v1/estimate?device=9&width=4&height=4`, { headers: auth });
    expect(await estimate.json()).toMatchObject({ error: { code: "DEVICE_UNKNOWN" } });
    expect(daemon.engine.stats()).toEqual({ queued: 0, running: 0, retained: 0 });
    expect(await jobFolders(daemon)).toEqual([]);
    // The daemon carries on: a listed device is taken.
    client.send({ type: "estimate", requestId: "e2", preset: "portrait-natural", overrides: {}, device: 1, width: 4, height: 4 });
    expect(await client.next("estimated")).toMatchObject({ requestId: "e2", device: 1 });
    client.socket.close();
  });

  it("runs a job on the device it names, and its status says which", async () => {
    const devices: (number | undefined)[] = [];
    const fake = createFakeRunner();
    const runner: JobRunner = {
      run(input, context) {
        devices.push(context.device);
        return fake.run(input, context);
      },
    };
    daemon = await startTestDaemon({ catalog: twoDeviceCatalog, runner });
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const pixels = testImage(4, 4, 3, 8);
    const ids: string[] = [];
    for (const query of ["device=1&", ""]) {
      const created = await fetch(`${daemon.url}/v1/jobs?${query}width=4&height=4&channels=3&bitDepth=8`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/octet-stream" },
        body: pixels,
      });
      expect(created.status).toBe(202);
      ids.push(((await created.json()) as { id: string }).id);
    }
    for (const id of ids) await waitFor(async () => (await (await fetch(`${daemon!.url}/v1/jobs/${id}`, { headers: auth })).json()).state === "done");
    const statuses = await Promise.all(ids.map(async (id) => (await fetch(`${daemon!.url}/v1/jobs/${id}`, { headers: auth })).json()));
    expect(statuses.map((status) => status.device)).toEqual([1, 0]);
    expect([...devices].sort()).toEqual([0, 1]);
    for (const id of ids) await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth });
  });
});

describe("the engine with several devices", () => {
  const input: JobInput = { image: { kind: "raw", width: 1, height: 1, channels: 1, bitDepth: 8, bytes: new Uint8Array(1) }, options: {} };

  it("runs one job per device at a time, and jobs on different devices side by side, clients still in turn", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pu-devices-"));
    const running = new Map<string, { device: number | undefined; finish: () => void }>();
    const started: string[] = [];
    const runner: JobRunner = {
      async run(job, context) {
        const name = String(job.options.preset);
        started.push(name);
        await new Promise<void>((resolve) => running.set(name, { device: context.device, finish: resolve }));
        running.delete(name);
        return { image: job.image as never, width: 1, height: 1, channels: 1, bitDepth: 8, provider: "test", models: [], timings: { totalMs: 0, inferenceMs: 0 } };
      },
    };
    const engine = new JobEngine({ runner, concurrency: 1, maxJobsPerClient: 10, retentionMs: 60_000, spillBytes: 1 << 20, tempDir: dir });
    try {
      engine.submit("a", { ...input, options: { preset: "a-gpu0-1" } }, { device: 0 });
      engine.submit("a", { ...input, options: { preset: "a-gpu0-2" } }, { device: 0 });
      engine.submit("b", { ...input, options: { preset: "b-gpu1-1" } }, { device: 1 });
      engine.submit("c", { ...input, options: { preset: "c-gpu0-1" } }, { device: 0 });
      // Device 0 and device 1 each take one job at once.
      await waitFor(() => running.size === 2);
      expect([...running.entries()].map(([name, job]) => [name, job.device]).sort()).toEqual([
        ["a-gpu0-1", 0],
        ["b-gpu1-1", 1],
      ]);
      // Device 1's job ends: nothing else waits for device 1, so device 0 stays one job at a time.
      running.get("b-gpu1-1")!.finish();
      await waitFor(() => running.size === 1);
      expect(engine.stats().running).toBe(1);
      // Device 0 frees: client c's turn comes before a's second job.
      running.get("a-gpu0-1")!.finish();
      await waitFor(() => running.has("c-gpu0-1"));
      running.get("c-gpu0-1")!.finish();
      await waitFor(() => running.has("a-gpu0-2"));
      running.get("a-gpu0-2")!.finish();
      await waitFor(() => engine.stats().running === 0 && engine.stats().queued === 0);
      expect(started).toEqual(["a-gpu0-1", "b-gpu1-1", "c-gpu0-1", "a-gpu0-2"]);
    } finally {
      await engine.shutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
