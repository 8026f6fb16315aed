// The studio's small pure pieces: queue URLs, job data checked on the worker, recipe hashes,
// the review page's escaping.
import { describe, expect, it } from "vitest";
import { renderReviewPage, type BatchReport } from "../../src/batch/report";
import { workerDevices } from "../../src/cli/commands/worker";
import { parseQueueUrl } from "../../src/queue/connection";
import { parseQueueJobData, queueJobId } from "../../src/queue/job-data";
import { parseUpscaleSettings, settingsHash, stableJson } from "../../src/upscale/index";

describe("workerDevices: one job lane per device", () => {
  it.each<[Record<string, unknown>, number | undefined, number[]]>([
    [{}, undefined, [0]],
    [{ device: "1" }, 1, [1]],
    [{ devices: "0,1" }, undefined, [0, 1]],
    [{ devices: " 2, 0 " }, undefined, [2, 0]],
  ])("%j (--device %s) → %j", (values, single, devices) => {
    expect(workerDevices(values, single)).toEqual(devices);
  });

  it.each<[Record<string, unknown>, number | undefined, number[], number[]]>([
    [{}, undefined, [1, 0], [0, 1]],
    [{ device: "1" }, 1, [0, 1, 2], [1]],
    [{ devices: "2" }, undefined, [0, 1, 2], [2]],
  ])("%j (--device %s) on a machine with GPUs %j → %j", (values, single, machine, devices) => {
    expect(workerDevices(values, single, machine)).toEqual(devices);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ devices: "0,0" }, 'Expected distinct device ids from 0 to 64 separated by commas, such as 0,1 for --devices but received "0,0" of type string'],
    [{ devices: "0;1" }, 'Expected distinct device ids from 0 to 64 separated by commas, such as 0,1 for --devices but received "0;1" of type string'],
    [{ devices: "65" }, 'Expected distinct device ids from 0 to 64 separated by commas, such as 0,1 for --devices but received "65" of type string'],
    [{ devices: "0,1", device: "1" }, 'Expected either --device N or --devices LIST, not both for --devices but received "0,1" of type string'],
  ])("refuses %j", (values, message) => {
    expect(() => workerDevices(values, undefined)).toThrow(expect.objectContaining({ code: "INVALID_OPTION", message }));
  });
});

describe("parseQueueUrl", () => {
  it.each([
    ["redis://q:6379", "redis://q:6379", false],
    ["redis://:secret@q:6379/2", "redis://:***@q:6379/2", false],
    ["rediss://q.studio.lan:6380/0", "rediss://q.studio.lan:6380/0", true],
  ])("%s is shown as %s", (url, display, tls) => {
    expect(parseQueueUrl(url)).toEqual({ url, display, tls });
  });

  it.each(["http://q:6379", "redis://", "redis://q:6379/db", "q:6379", 42])("refuses %s with INVALID_OPTION", (url) => {
    expect(() => parseQueueUrl(url)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });
});

describe("queue job data", () => {
  const good = { version: 1, input: "/s/in.png", output: "/s/out/in.png", relative: "in.png", outDir: "/s/out", recipe: { preset: "fast-preview" }, settingsHash: "abc", review: false };

  it("accepts a well-formed job and names the field of a broken one", () => {
    expect(parseQueueJobData(good)).toEqual(good);
    expect(() => parseQueueJobData({ ...good, input: "" })).toThrow(/job\.input/);
    expect(() => parseQueueJobData({ ...good, recipe: { scale: 2 } })).toThrow(/job\.recipe\.scale/);
    expect(() => parseQueueJobData({ ...good, format: "gif" })).toThrow(/job\.format/);
    expect(() => parseQueueJobData({ ...good, version: 2 })).toThrow(/job\.version/);
  });

  it("identifies a job by its output and recipe", () => {
    expect(queueJobId(good)).toBe(queueJobId({ ...good }));
    expect(queueJobId(good)).not.toBe(queueJobId({ ...good, output: "/s/out/other.png" }));
    expect(queueJobId(good)).not.toBe(queueJobId({ ...good, settingsHash: "abd" }));
  });
});

describe("recipe hashes", () => {
  it("ignore key order and change with any value or the format", () => {
    expect(stableJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    const x4 = parseUpscaleSettings({ model: "x4fast", scale: 2 });
    expect(settingsHash(x4, undefined)).toBe(settingsHash(parseUpscaleSettings({ scale: "2", model: "x4fast" }), undefined));
    expect(settingsHash(x4, undefined)).not.toBe(settingsHash(parseUpscaleSettings({ model: "x4fast", scale: 3 }), undefined));
    expect(settingsHash(x4, undefined)).not.toBe(settingsHash(x4, "png"));
  });
});

describe("the review page", () => {
  it("escapes file names and advice, and lists warnings before passes", () => {
    const report: BatchReport = {
      version: 1,
      startedAt: "t0",
      finishedAt: "t1",
      recipe: { preset: "p", model: "x4fast", scale: 2, settingsHash: "h" },
      ranOn: "this machine",
      counts: { done: 2, skipped: 0, failed: 0, pending: 0 },
      files: [
        { input: "a", output: "ok.png", status: "done", review: { verdict: "pass", advice: [], sheet: "review/ok.png.png" } },
        { input: "b", output: "<b>.png", status: "done", review: { verdict: "warn", advice: ["Lower creativity & retry"], sheet: "review/<b>.png.png" } },
      ],
    };
    const page = renderReviewPage(report);
    expect(page).toContain("&lt;b&gt;.png — warn");
    expect(page).toContain("Lower creativity &amp; retry");
    expect(page).not.toContain("<b>");
    expect(page.indexOf("warn</h2>")).toBeLessThan(page.indexOf("pass</h2>"));
  });
});
