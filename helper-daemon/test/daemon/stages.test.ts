/**
 * With the real upscale service and one inference pool per device: a fast job reports every
 * stage of its pipeline, in order, over the WebSocket and over the HTTP event stream (no stage
 * lost between progress samples), and a job naming device 1 runs on device 1's own pool.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferencePool } from "../../src/inference/index";
import { PresetStore } from "../../src/presets/index";
import { createCatalog, modelSummaries } from "../../src/server/catalog";
import { DevicePools } from "../../src/server/device-pools";
import { deviceSummaries } from "../../src/server/devices";
import { createUpscaleRunner } from "../../src/server/upscale-runner";
import { readJobEvents } from "../support/job-events";
import { startTestDaemon, waitFor, type TestDaemon } from "./helpers";
import { TestWsClient } from "./ws-client";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, "../../../test/fixtures/astronaut-face-64.png");
/** Fast Preview on a 64-px face: every portrait stage runs, in well under a second each. */
const PRESET = "fast-preview";
/** The protocol's stages this job passes through, in order (queued jobs start at "queued"). */
const STAGES = ["queued", "decode", "faces", "upscale", "blend", "encode"];

let pools: DevicePools;
let presets: PresetStore;
let daemon: TestDaemon;

beforeAll(async () => {
  pools = new DevicePools((device) => createInferencePool({ provider: "cpu", device }), 0);
  presets = await PresetStore.open({ userDir: null, watch: "off" });
  const devices = deviceSummaries("cpu", 0, [
    { index: 0, name: "first", provider: "cpu" },
    { index: 1, name: "second", provider: "cpu" },
  ]);
  daemon = await startTestDaemon({
    runner: createUpscaleRunner(pools, presets, { maxInputPixels: 64_000_000, maxOutputPixels: 1_100_000_000 }),
    catalog: createCatalog(pools.for(0), presets, await modelSummaries(), { calibration: { factors: {} }, devices }),
  });
});

afterAll(async () => {
  const left = await daemon?.stop();
  presets?.close();
  await pools?.close();
  expect(left).toEqual([]);
});

/** The stages of a list of progress events, each run of one stage counted once. */
function stagesOf(events: readonly { stage: string }[]): string[] {
  return events.map((event) => event.stage).filter((stage, index, all) => stage !== all[index - 1]);
}

describe("every stage change is sent", () => {
  it("over the HTTP event stream, in order, on the default device's pool", async () => {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const png = await readFile(fixture);
    const create = async (): Promise<string> => {
      const created = await fetch(`${daemon.url}/v1/jobs?preset=${PRESET}`, { method: "POST", headers: { ...auth, "Content-Type": "image/png" }, body: png });
      expect(created.status).toBe(202);
      return ((await created.json()) as { id: string }).id;
    };
    // The second job waits behind the first on device 0, so its stream opens while it is still queued.
    const first = await create();
    const second = await create();
    const [firstLines, secondLines] = await Promise.all([readJobEvents(daemon, first), readJobEvents(daemon, second)]);
    for (const lines of [firstLines, secondLines]) expect(lines.at(-1)).toMatchObject({ type: "done", result: { width: 128, height: 128 } });
    expect(stagesOf(secondLines.filter((line) => line.type === "progress"))).toEqual(STAGES);
    expect(pools.devices).toEqual([0]);
    for (const id of [first, second]) await fetch(`${daemon.url}/v1/jobs/${id}`, { method: "DELETE", headers: auth });
  });

  it("over the WebSocket, in order, on device 1's own pool", async () => {
    const { data, info } = await sharp(fixture).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const client = await TestWsClient.connect(daemon, ["devices", "estimate"]);
    expect(client.welcome?.devices?.map((device) => device.id)).toEqual([0, 1]);
    const jobId = await client.submit(new Uint8Array(data), { width: info.width, height: info.height, channels: 3, bitDepth: 8 }, { preset: PRESET, device: 1 });
    await waitFor(() => client.queued("result"), 120_000, "the result");
    const progress: { stage: string }[] = [];
    while (client.queued("progress")) progress.push(await client.next("progress"));
    // A WebSocket client follows its job from acceptance; the job's first event is its start.
    expect(stagesOf(progress)).toEqual(STAGES.slice(1));
    const { header } = await client.receiveResult(jobId);
    expect(header.image).toMatchObject({ width: 128, height: 128 });
    expect(pools.devices).toEqual([0, 1]);
    await client.close();
  });
});
