// The devices workers advertise in a real redis-server, as `serve --queue` reads them: one entry
// per id naming every worker on it, the daemon's own device as the default when served, and
// a stopped worker's devices gone at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { connectRedis, parseQueueUrl } from "../../src/queue/connection";
import { advertiseDevices, advertisedDevices } from "../../src/queue/devices";
import { startRedis, type TestRedis } from "./support";

let redis: TestRedis;
let connection: Redis;

beforeAll(async () => {
  redis = await startRedis();
  connection = connectRedis(parseQueueUrl(redis.url), { log: () => undefined });
});
afterAll(async () => {
  connection?.disconnect();
  await redis?.stop();
});

describe("advertised devices", () => {
  it("merges the workers on one id, picks the default, and forgets a stopped worker", async () => {
    expect(await advertisedDevices(connection, 0)).toEqual([]);
    const first = await advertiseDevices(connection, "gpu-1", [
      { id: 0, provider: "cuda", name: "RTX 4090", memoryBytes: 25_757_220_864 },
      { id: 1, provider: "cuda", name: "RTX A4000" },
    ]);
    const second = await advertiseDevices(connection, "gpu-2", [{ id: 1, provider: "cuda", name: "RTX A4000" }]);
    // Another release's key, or a damaged one, is left out rather than listed wrong.
    await connection.set("portrait-upscale:device:old:3", "not json");
    expect(await advertisedDevices(connection, 1)).toEqual([
      { id: 0, provider: "cuda", name: "RTX 4090 (gpu-1)", memoryBytes: 25_757_220_864, default: false },
      { id: 1, provider: "cuda", name: "RTX A4000 (gpu-1, gpu-2)", default: true },
    ]);
    expect((await advertisedDevices(connection, 5)).map((device) => device.default)).toEqual([true, false]);
    await first.stop();
    expect(await advertisedDevices(connection, 0)).toEqual([{ id: 1, provider: "cuda", name: "RTX A4000 (gpu-2)", default: true }]);
    await second.stop();
    expect(await advertisedDevices(connection, 0)).toEqual([]);
  });

  it("reads the stored JSON, listing a newer release's advert without the fields this one does not know", async () => {
    const advert = await advertiseDevices(connection, "gpu-1", [{ id: 2, provider: "cuda", name: "RTX A4000", memoryBytes: 17_171_480_576 }]);
    expect(JSON.parse((await connection.get("portrait-upscale:device:gpu-1:2"))!)).toEqual({
      id: 2,
      provider: "cuda",
      name: "RTX A4000",
      memoryBytes: 17_171_480_576,
      worker: "gpu-1",
    });
    await connection.set("portrait-upscale:device:gpu-9:4", JSON.stringify({ id: 4, provider: "cuda", name: "L40S", worker: "gpu-9", powerWatts: 350 }), "EX", 30);
    // Without the worker name, or with a device id the protocol refuses, an advert is no device.
    await connection.set("portrait-upscale:device:gpu-8:5", JSON.stringify({ id: 5, provider: "cuda", name: "L4" }), "EX", 30);
    await connection.set("portrait-upscale:device:gpu-7:65", JSON.stringify({ id: 65, provider: "cuda", name: "L4", worker: "gpu-7" }), "EX", 30);
    expect(await advertisedDevices(connection, 4)).toEqual([
      { id: 2, provider: "cuda", name: "RTX A4000 (gpu-1)", memoryBytes: 17_171_480_576, default: false },
      { id: 4, provider: "cuda", name: "L40S (gpu-9)", default: true },
    ]);
    await advert.stop();
    await connection.del("portrait-upscale:device:gpu-9:4", "portrait-upscale:device:gpu-8:5", "portrait-upscale:device:gpu-7:65");
  });
});
