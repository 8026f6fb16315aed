/**
 * Every code and connection state in words, with what fixes it: the one place the panel
 * turns codes into messages. A Record over every code, so a new code without words fails
 * the typecheck.
 */
import { ERROR_ADVICE, ERROR_CODES, type ErrorCode, type JobNote, type JobStage, type ReviewReport } from "@portrait-upscale/shared";
import type { ConnectionState } from "../model/connection";
import { HELPER_DOWNLOAD_URL, type HelperState } from "../model/helper-launch";
import type { JobPhase } from "../model/upscale-job";
import type { AnyErrorCode, PanelErrorCode } from "../panel-errors";

export interface HumanMessage {
  readonly title: string;
  readonly advice: string;
}

const PANEL_MESSAGES: Record<PanelErrorCode, HumanMessage> = {
  NO_DOCUMENT: { title: "No document is open.", advice: "Open a portrait, select its layer, then click Upscale Portrait." },
  NO_PIXEL_LAYER: { title: "Select one layer with pixels.", advice: "Groups and adjustment layers cannot be upscaled; select a pixel, smart object or Background layer." },
  DOCUMENT_32_BIT: { title: "32-bit documents are not supported.", advice: "Choose Image › Mode › 16 Bits/Channel, upscale, then convert back if you need to." },
  DOCUMENT_MODE_UNSUPPORTED: { title: "Only RGB and Grayscale documents can be upscaled.", advice: "Choose Image › Mode › RGB Color (or work on an RGB copy)." },
  MODAL_BUSY: { title: "Photoshop is busy with another plug-in or an open dialog.", advice: "Close the dialog or wait for the other plug-in to finish, then try again." },
  PHOTOSHOP_COMMAND_FAILED: { title: "Photoshop refused a command.", advice: "Nothing was changed. Try again; if it repeats, report the message shown." },
  DAEMON_UNREACHABLE: { title: "The daemon cannot be reached.", advice: "Start it with `portrait-upscale serve`." },
  CONNECTION_LOST: { title: "The connection to the daemon was lost; the job stopped.", advice: "The panel reconnects by itself. Start the upscale again once it is connected." },
  NOT_CONNECTED: { title: "The panel is not connected to the daemon.", advice: "Follow the advice at the top of the panel first." },
};

const DAEMON_TITLES: Partial<Record<ErrorCode, string>> = {
  INPUT_EMPTY: "There are no pixels to upscale here.",
  INPUT_TOO_LARGE: "This layer is larger than the daemon accepts.",
  OUTPUT_TOO_LARGE: "The result would be larger than the daemon allows.",
  OUT_OF_MEMORY: "The daemon ran out of memory, even with its smallest tile.",
  CANCELLED: "Cancelled.",
  DEVICE_UNKNOWN: "The device chosen for Portrait Upscale is not on the daemon's machine any more.",
};

/** The words and the action for an error code. */
export function messageFor(code: AnyErrorCode): HumanMessage {
  if (code in PANEL_MESSAGES) return PANEL_MESSAGES[code as PanelErrorCode];
  const shared = code as ErrorCode;
  return { title: DAEMON_TITLES[shared] ?? ERROR_CODES[shared], advice: ERROR_ADVICE[shared] };
}

export type Tone = "positive" | "notice" | "negative" | "neutral";
export type ConnectionAction = "retry" | "pair" | "address" | "download";

export interface ConnectionView {
  readonly tone: Tone;
  readonly title: string;
  readonly detail?: string;
  /** What the user can do, most useful first. */
  readonly actions: readonly ConnectionAction[];
}

/** The connection state in words, with the actions that fix it; `retryInSeconds` counts down to the next attempt. */
export function connectionView(
  state: ConnectionState,
  address: { host: string; port: number },
  retryInSeconds?: number,
  helper?: HelperState,
): ConnectionView {
  const seconds = retryInSeconds ?? (state.retryInMs !== undefined ? Math.round(state.retryInMs / 1000) : undefined);
  const retry = seconds === undefined ? "" : seconds <= 0 ? " Trying again now…" : ` Trying again in ${seconds} s.`;
  const where = `${address.host}:${address.port}`;
  switch (state.status) {
    case "connecting":
      return { tone: "neutral", title: state.lost ? "Reconnecting to the daemon…" : `Connecting to the daemon on ${where}…`, actions: [] };
    case "daemon-not-running":
      if (helper === "not-installed") {
        return {
          tone: "negative",
          title: "Portrait Upscale is not installed on this computer.",
          detail: `Download Portrait Upscale from ${HELPER_DOWNLOAD_URL}, open it once, and this panel connects by itself.`,
          actions: ["download", "retry", "address"],
        };
      }
      if (helper === "starting") {
        return { tone: "neutral", title: "Starting Portrait Upscale…", detail: `Waiting for it on ${where}.${retry}`, actions: ["retry"] };
      }
      return {
        tone: "negative",
        title: state.lost ? "The daemon stopped." : "The daemon is not running.",
        detail: `Nothing answers on ${where}. Start it with \`portrait-upscale serve\`.${retry}`,
        actions: ["retry", "address"],
      };
    case "wrong-port":
      return {
        tone: "negative",
        title: `Another program answers on port ${address.port}.`,
        detail: `That is not the Portrait Upscale daemon. Check the port \`portrait-upscale serve\` printed and set it below.${retry}`,
        actions: ["address", "retry"],
      };
    case "pairing-needed":
      return {
        tone: "notice",
        title: state.error ? "That pairing code did not work." : "Pair this panel with the daemon.",
        detail: state.error
          ? "Codes work once, for two minutes. Run `portrait-upscale pair` again and type the new code."
          : "Run `portrait-upscale pair` in a terminal and type the code it prints.",
        actions: ["pair"],
      };
    case "pairing":
      return { tone: "neutral", title: "Pairing…", actions: [] };
    case "wrong-token":
      return {
        tone: "negative",
        title: "The daemon refused this panel's key.",
        detail: "Its token has changed (a new install, or its config folder was replaced). Run `portrait-upscale pair` and type the code.",
        actions: ["pair"],
      };
    case "version-mismatch":
      return {
        tone: "negative",
        title: "The panel and the daemon are from different releases.",
        detail: "Update both to the same release, then click Retry.",
        actions: ["retry"],
      };
    case "refused":
      return {
        tone: "negative",
        title: "The daemon refused the connection.",
        detail: `${state.error?.message ?? ""} Connect to 127.0.0.1 or localhost, or use the host name the daemon is configured with.${retry}`.trim(),
        actions: ["address", "retry"],
      };
    case "connected":
    case "busy": {
      const daemon = state.daemon;
      const detail = daemon ? `daemon ${daemon.version} · ${daemon.provider.toUpperCase()}` : undefined;
      return { tone: "positive", title: state.status === "busy" ? "Connected · working" : "Connected", ...(detail ? { detail } : {}), actions: [] };
    }
  }
}

const STAGES: Record<JobStage, string> = {
  queued: "Waiting in the daemon's queue",
  decode: "Preparing the image",
  faces: "Finding faces",
  upscale: "Upscaling",
  blend: "Blending",
  review: "Reviewing the face at 100 %",
  encode: "Finishing",
};

/** What the job is doing, and its overall progress (0..1). */
export function phaseView(phase: JobPhase): { label: string; fraction: number; eta?: string } {
  switch (phase.phase) {
    case "reading":
      return { label: "Reading the layer", fraction: 0 };
    case "waiting-for-photoshop":
      return { label: `Photoshop is busy; waiting (attempt ${phase.attempt + 1})`, fraction: 0 };
    case "uploading":
      return { label: "Sending to the daemon", fraction: 0.05 * phase.fraction };
    case "working": {
      const tiles = phase.stage === "upscale" && phase.tiles !== undefined ? ` tile ${phase.tile} of ${phase.tiles}` : "";
      return {
        label: `${STAGES[phase.stage]}${tiles}`,
        fraction: 0.05 + 0.85 * phase.fraction,
        ...(phase.etaSeconds !== null ? { eta: etaText(phase.etaSeconds) } : {}),
      };
    }
    case "downloading":
      return { label: "Receiving the result", fraction: 0.9 + 0.07 * phase.fraction };
    case "placing":
      return { label: "Placing the smart object", fraction: 0.97 };
  }
}

/** "about 12 s left", "about 3 min left". */
export function etaText(seconds: number): string {
  if (seconds < 1) return "almost done";
  if (seconds < 90) return `about ${Math.round(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}

/**
 * The daemon's notes in the panel's words. Codes the panel does not know (a newer daemon, or
 * NOTICE for the service's own remarks) show the daemon's message as it is.
 */
const NOTE_WORDS: Readonly<Record<string, string>> = {
  NO_FACE: "No face was found: the whole image was upscaled as background, with no special care for faces.",
  SMALL_FACE: "The face is small in the source: this is careful enlargement, not face reconstruction, so its detail stays conservative.",
  SPECULATIVE_SCALE: "At this scale most fine detail is the models' guess: compare at 100 % before printing.",
  FIDELITY_ONLY: "Only the fidelity model ran: no detail was invented.",
  GRAIN_KEPT: "The source's film grain was measured and carried into the result.",
  CLEANED: "A clean-up pass removed compression artifacts before upscaling.",
  FACES_RESTORED: "Faces were redrawn by the face-restore model you brought: compare them with the source, as restoration can change a likeness.",
  MESH_FALLBACK: "Some faces were too small, turned or unclear for the face mesh: their eyes, nose and lips were located approximately, so the care there is broader.",
  HAIRLINE_FALLBACK: "The hairline was taken from the face's outline, not from the person's silhouette (no person was found, or the matte model is missing), so its care follows the forehead more loosely.",
};

/** One note on a result, in words. */
export function noteText(note: JobNote): string {
  return Object.prototype.hasOwnProperty.call(NOTE_WORDS, note.code) ? NOTE_WORDS[note.code] : note.message;
}

const REGION_WORDS: Readonly<Record<string, string>> = {
  eyes: "eyes",
  noseBridge: "nose bridge",
  lips: "lips",
  hairline: "hairline",
  skin: "skin",
  image: "whole image",
};

const METRIC_WORDS: Readonly<Record<string, string>> = {
  halo: "halo",
  "texture-ratio": "texture",
  "added-detail": "added detail",
  "delta-e": "colour shift (ΔE)",
  banding: "banding",
  mottling: "blotchy skin (mottling)",
};

/** A review region in words ("nose bridge"); an unknown id has its camelCase split ("upperLip" → "upper lip"). */
export function regionWords(region: string): string {
  return REGION_WORDS[region] ?? region.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/** A region's heading: "Nose bridge", or "Face 2 · nose bridge" when the review saw several faces. */
export function regionTitle(region: string, face: number | undefined, faces: number): string {
  const words = regionWords(region);
  if (face !== undefined && faces > 1) return `Face ${face + 1} · ${words}`;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

type ReviewCheck = ReviewReport["checks"][number];

/** Three significant digits, so a value just past its limit never reads as equal to it (0.0212 vs 0.02). */
function figure(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/**
 * What a failed check measured, against the bound it crossed: the minimum for a two-sided
 * check that came out low (too little texture), else the limit.
 * @example checkText({ region: "noseBridge", metric: "halo", value: 0.031, limit: 0.02, passed: false }) // "halo 0.031, above the limit 0.02"
 */
export function checkText(check: ReviewCheck): string {
  const metric = METRIC_WORDS[check.metric] ?? check.metric;
  const low = check.min !== undefined && check.value < check.min;
  return low ? `${metric} ${figure(check.value)}, below the minimum ${figure(check.min as number)}` : `${metric} ${figure(check.value)}, above the limit ${figure(check.limit)}`;
}

/** The review's verdict as one line. */
export function reviewVerdictText(report: ReviewReport): string {
  const verdict = { pass: "Review: the face looks right at 100 %.", warn: "Review: look at these at 100 %.", fail: "Review: problems found at 100 %." }[report.verdict];
  const faces = report.faces === 0 ? "No face found." : report.faces === 1 ? "1 face." : `${report.faces} faces.`;
  return `${verdict} ${faces}`;
}

/** The report's advice without the parts a failed check already says (the daemon joins them with "; "). */
export function remainingAdvice(report: ReviewReport): string[] {
  if (!report.advice) return [];
  const said = new Set(report.checks.filter((check) => !check.passed && check.advice).map((check) => check.advice));
  return report.advice
    .split("; ")
    .map((part) => part.trim())
    .filter((part) => part !== "" && !said.has(part))
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1));
}
