/**
 * Tells apart why a socket could not be used, with `GET /v1/health` (no token needed):
 * nothing listening, something else listening, or the daemon itself (speaking which protocol).
 */
import { PROTOCOL_VERSION } from "@portrait-upscale/shared";
import type { ProbeResult } from "../model/connection";
import { httpUrl, type DaemonAddress } from "./daemon-client";

export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

const PROBE_TIMEOUT_MS = 3000;

/** Probes the daemon's health endpoint. */
export async function probeHealth(fetchFn: FetchLike, address: DaemonAddress): Promise<ProbeResult> {
  // Older UXP versions have no AbortController: the probe then races a timer instead.
  const controller = typeof AbortController === "function" ? new AbortController() : undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller?.abort();
      reject(new Error("The health check timed out."));
    }, PROBE_TIMEOUT_MS);
  });
  try {
    const request = fetchFn(`${httpUrl(address)}/v1/health`, controller ? { signal: controller.signal } : {});
    const response = await Promise.race([request, timeout]);
    let body: unknown;
    try {
      body = JSON.parse(await Promise.race([response.text(), timeout]));
    } catch {
      return "foreign";
    }
    const health = body as { name?: unknown; protocol?: unknown };
    if (health?.name !== "portrait-upscale") {
      // A refusal from the daemon itself (e.g. its Host check) still has the daemon's error shape.
      const code = (body as { error?: { code?: unknown } })?.error?.code;
      return typeof code === "string" && /_FORBIDDEN$/.test(code) ? "daemon" : "foreign";
    }
    return health.protocol === PROTOCOL_VERSION ? "daemon" : "daemon-other-protocol";
  } catch {
    return "nothing";
  } finally {
    clearTimeout(timer);
  }
}
