/**
 * The estimate the panel shows before Upscale is clicked: the question it asks the daemon for
 * the active document and the chosen settings, and the words it shows for the answer.
 */
import { describeDuration, type Estimate, type Overrides, type PresetSummary } from "@portrait-upscale/shared";
import type { DaemonConnection } from "../client/daemon-client";
import { toPanelError } from "../panel-errors";
import { boundsHeight, boundsWidth, type DocumentInfo } from "../photoshop/adapter";
import { upscaleSource } from "./plan";
import type { PanelSettings } from "./settings";
import { jobOverrides } from "./upscale-job";

/** What the panel asks: the job's preset and overrides, and the size of the area it would read. */
export interface EstimateQuestion {
  readonly preset: string;
  readonly overrides: Overrides;
  readonly device?: number;
  readonly width: number;
  readonly height: number;
}

/** The estimate as the panel shows it ("about 3 min on CPU"), or why there is none. */
export type EstimateView =
  | { readonly status: "ready"; readonly seconds: number; readonly text: string; readonly calibrated: boolean }
  | { readonly status: "unavailable"; readonly code: string };

/** The question for `document` with `preset` and `settings`; undefined when nothing could be upscaled. */
export function estimateQuestion(document: DocumentInfo | undefined, preset: PresetSummary | undefined, settings: PanelSettings): EstimateQuestion | undefined {
  if (!preset) return undefined;
  let area;
  try {
    ({ area } = upscaleSource(document));
  } catch {
    return undefined;
  }
  return {
    preset: preset.id,
    overrides: jobOverrides(preset, settings),
    ...(settings.device !== undefined ? { device: settings.device } : {}),
    width: boundsWidth(area),
    height: boundsHeight(area),
  };
}

/** "about 3 min on CPU", and a word when the machine has not been calibrated. */
export function estimateText(estimate: Estimate): string {
  const text = `${describeDuration(estimate.seconds)} on ${estimate.provider.toUpperCase()}`;
  return estimate.calibrated ? text : `${text} (uncalibrated)`;
}

/** The view of a daemon's answer. */
export function estimateView(estimate: Estimate): EstimateView {
  return { status: "ready", seconds: estimate.seconds, text: estimateText(estimate), calibrated: estimate.calibrated };
}

/**
 * Keeps the shown estimate in step with the question: asks the daemon only when the question
 * changed, and drops an answer to a question that is no longer the current one.
 */
export class EstimateFollower {
  #asked: string | undefined;

  constructor(private readonly show: (view: EstimateView | undefined) => void) {}

  /** Asks `connection` about `question` (nothing shown without either). */
  follow(connection: Pick<DaemonConnection, "estimate"> | undefined, question: EstimateQuestion | undefined): void {
    const key = connection && question ? JSON.stringify(question) : undefined;
    if (key === this.#asked) return;
    this.#asked = key;
    if (!connection || !question) {
      this.show(undefined);
      return;
    }
    connection.estimate(question).then(
      (estimate) => {
        if (this.#asked === key) this.show(estimateView(estimate));
      },
      (error: unknown) => {
        if (this.#asked === key) this.show({ status: "unavailable", code: toPanelError(error).code });
      },
    );
  }

  /** Forgets the last question, so the next one is asked even if it is the same (a new connection). */
  reset(): void {
    this.#asked = undefined;
  }
}
