/**
 * Test support: a job's NDJSON event stream (`GET /v1/jobs/{id}/events`), read to its end.
 */
import { jobEventSchema, parse } from "@portrait-upscale/shared";
import { expect } from "vitest";

/** Where a job's daemon answers and the token its requests carry (a test daemon, or `serve`'s). */
export interface JobEventsSource {
  readonly url: string;
  readonly token: string;
}

/**
 * Waits until the job's event stream closes (after its `done`, `failed` or `cancelled` line) and
 * returns every line, each checked against the protocol's event schema. The lines stay loosely
 * typed so tests can assert on any field of any line.
 *
 * @example
 * const lines = await readJobEvents(daemon, id);
 * expect(lines.at(-1)).toMatchObject({ type: "done" });
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read each line's fields without narrowing by type
export async function readJobEvents(source: JobEventsSource, id: string): Promise<any[]> {
  const response = await fetch(`${source.url}/v1/jobs/${id}/events`, { headers: { Authorization: `Bearer ${source.token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/x-ndjson");
  const lines = (await response.text()).trim().split("\n");
  return lines.map((line, index) => parse(jobEventSchema, JSON.parse(line), `events[${index}]`));
}
