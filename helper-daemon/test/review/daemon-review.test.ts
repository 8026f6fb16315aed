// The daemon's review on the real upscale service: review=1 over HTTP gives the report and the
// contact sheet; a WebSocket job with review: true gets the `review` message before `result`.
// Skipped until `npm install` has converted the models; the pool needs `npm run build`.
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, reviewReportSchema } from "@portrait-upscale/shared";
import { smallFaceAdvice } from "../../src/review/index";
import type { TestDaemon } from "../daemon/helpers";
import { TestWsClient } from "../daemon/ws-client";
import { fixturePath, hasModel } from "../portrait/support";
import { startUpscaleDaemon, type UpscaleTestDaemon } from "../support/upscale-daemon";
import { readJobEvents } from "../support/job-events";

const ready = ["realesrgan-x4fast", "blazeface-back-256", "blazeface-front-128"].every(hasModel);

it("has the converted models it needs (npm install converts them)", () => expect(ready).toBe(true));
const fixture = fixturePath("astronaut-face-128.png");
let service: UpscaleTestDaemon;
let daemon: TestDaemon;

describe("daemon review", () => {
  beforeAll(async () => {
    service = await startUpscaleDaemon({ intraOpThreads: 2 });
    daemon = service.daemon;
  });

  afterAll(async () => {
    await service?.stop();
  });

  it("serves the review report and its contact sheet for a job with review=1", async () => {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?model=x4fast&scale=2&review=1`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "image/png" },
      body: await readFile(fixture),
    });
    expect(created.status).toBe(202);
    const { id } = await created.json();
    const events = await readJobEvents(daemon, id);
    expect(events.at(-1)).toMatchObject({ type: "done" });

    const review = await fetch(`${daemon.url}/v1/jobs/${id}/review`, { headers: auth });
    expect(review.status).toBe(200);
    const report = parse(reviewReportSchema, await review.json(), "report");
    expect(report.faces).toBe(1);
    expect(report.checks).toHaveLength(22);
    expect(new Set(report.checks.map((c) => c.region))).toEqual(new Set(["eyes", "noseBridge", "lips", "hairline", "skin"]));
    expect(report.checks.every((c) => c.face === 0)).toBe(true);
    expect(report.advice).toContain(smallFaceAdvice(2));

    const sheet = await fetch(`${daemon.url}/v1/jobs/${id}/review.png`, { headers: auth });
    expect(sheet.status).toBe(200);
    expect(sheet.headers.get("content-type")).toBe("image/png");
    expect((await sharp(Buffer.from(await sheet.arrayBuffer())).metadata()).format).toBe("png");
  });

  it("answers NOT_FOUND for the contact sheet of a job without a review", async () => {
    const auth = { Authorization: `Bearer ${daemon.token}` };
    const created = await fetch(`${daemon.url}/v1/jobs?model=x4fast&scale=2`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "image/png" },
      body: await readFile(fixturePath("astronaut-face-64.png")),
    });
    const { id } = await created.json();
    await readJobEvents(daemon, id);
    const sheet = await fetch(`${daemon.url}/v1/jobs/${id}/review.png`, { headers: auth });
    expect(sheet.status).toBe(404);
    expect((await sheet.json()).error.code).toBe("NOT_FOUND");
  });

  it("sends the review message before the result over the WebSocket", async () => {
    const { data, info } = await sharp(fixture).raw().toBuffer({ resolveWithObject: true });
    const client = await TestWsClient.connect(daemon);
    try {
      const jobId = await client.submit(new Uint8Array(data), { width: info.width, height: info.height, channels: info.channels, bitDepth: 8 }, { scale: 2, model: "x4fast", review: true });
      const review = await client.next("review", 60_000);
      expect(review.jobId).toBe(jobId);
      expect(review.report.faces).toBe(1);
      expect(review.report.checks).toHaveLength(22);
      const { header } = await client.receiveResult(jobId);
      expect(header.image).toMatchObject({ width: 256, height: 256 });
    } finally {
      await client.close();
    }
  });

  it("sends a before/after PNG per region to a client that asked for review crops, then the result with notes", async () => {
    const { data, info } = await sharp(fixture).raw().toBuffer({ resolveWithObject: true });
    const client = await TestWsClient.connect(daemon, ["notes", "review-crops"]);
    try {
      const jobId = await client.submit(new Uint8Array(data), { width: info.width, height: info.height, channels: info.channels, bitDepth: 8 }, { scale: 2, model: "x4fast", review: true });
      const review = await client.next("review", 60_000);
      const { header, crops } = await client.receiveCrops(jobId);
      // One crop per face and region, matching the checks' face and region.
      const checked = new Set(review.report.checks.map((check) => `${check.face}:${check.region}`));
      expect(header.crops.map((crop) => crop.region)).toEqual(["eyes", "noseBridge", "lips", "hairline", "skin"]);
      for (const [index, crop] of header.crops.entries()) {
        expect(checked.has(`${crop.face}:${crop.region}`)).toBe(true);
        const meta = await sharp(Buffer.from(crops[index])).metadata();
        expect(meta).toMatchObject({ format: "png", width: crop.width, height: crop.height });
        // Two halves side by side, each within the thumbnail box: small enough for a narrow panel.
        expect(crop.width).toBeLessThanOrEqual(2 * 128 + 2);
        expect(crop.height).toBeLessThanOrEqual(96);
      }
      // About 50 kB a crop at most: small thumbnails, not the regions at full size.
      expect(header.byteLength).toBeLessThan(header.crops.length * 50_000);
      const { header: result } = await client.receiveResult(jobId);
      expect(result.notes).toBeInstanceOf(Array);
    } finally {
      await client.close();
    }
  });
});
