/**
 * The panel: connection status with the action that fixes it, preset and values, where the
 * result goes, the Upscale Portrait button, progress with Cancel, and what was done.
 * Renders the model's state and calls its actions; nothing else.
 */
import { useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import { SCALES, type JobNote, type PresetSummary, type ReviewReport } from "@portrait-upscale/shared";
import { toPanelError } from "../panel-errors";
import { boundsHeight, boundsWidth } from "../photoshop/adapter";
import type { PanelModel, PanelState } from "../model/panel-model";
import { sizeReadout, upscaleSource } from "../model/plan";
import type { PlacementMode } from "../model/settings";
import { DeviceField } from "./device-field";
import { FaceRestoreField } from "./face-restore-field";
import type { ReviewThumbnail } from "../model/review-thumbnails";
import { effectiveScale } from "../model/upscale-job";
import {
  checkText,
  connectionView,
  messageFor,
  noteText,
  phaseView,
  regionTitle,
  regionWords,
  remainingAdvice,
  reviewVerdictText,
  type ConnectionAction,
} from "./messages";
import { Body, Button, Checkbox, Detail, Divider, Picker, ProgressBar, Radios, Slider, TextField } from "./widgets";

const PLACEMENT_OPTIONS: readonly { value: PlacementMode; label: string }[] = [
  { value: "keep", label: "Keep document size (high-res smart object)" },
  { value: "enlarge", label: "Enlarge the document to match" },
  { value: "new-document", label: "New document" },
];

const SOURCE_LABEL: Record<PresetSummary["source"], string> = { "built-in": "Built-in", user: "Yours", studio: "Studio" };

/** The whole panel for one model. */
export function Panel({ model }: { readonly model: PanelModel }): JSX.Element {
  const state = useSyncExternalStore(model.subscribe, model.getState);
  return (
    <div className="pu-panel" data-testid="panel">
      <ConnectionSection model={model} state={state} />
      <Divider />
      <ControlsSection model={model} state={state} />
      <JobSection model={model} state={state} />
    </div>
  );
}

function ConnectionSection({ model, state }: { readonly model: PanelModel; readonly state: PanelState }): JSX.Element {
  const { settings } = state;
  const now = useClock(state.retryAt !== undefined);
  const view = connectionView(
    state.connection,
    settings,
    state.retryAt !== undefined ? Math.max(0, Math.ceil((state.retryAt - now) / 1000)) : undefined,
    state.helper,
  );
  const [code, setCode] = useState("");
  const [editing, setEditing] = useState(false);
  const [host, setHost] = useState(settings.host);
  const [port, setPort] = useState(String(settings.port));
  const [secure, setSecure] = useState(settings.secure);
  const showAddress = editing || view.actions[0] === "address";
  const act = (action: ConnectionAction): void => {
    if (action === "retry") void model.connect();
    if (action === "address") setEditing(true);
  };
  return (
    <section className="pu-section pu-connection" data-testid="connection" data-status={state.connection.status}>
      <div className="pu-status">
        <span className={`pu-dot pu-dot--${view.tone}`} aria-hidden="true" />
        <div className="pu-status__text">
          <Body testId="connection-title">{view.title}</Body>
          {view.detail ? <Detail testId="connection-detail">{withCode(view.detail)}</Detail> : null}
        </div>
        {view.actions.length === 0 && !editing ? (
          <Button variant="secondary" quiet onClick={() => setEditing(true)} testId="edit-address">
            ⚙
          </Button>
        ) : null}
      </div>
      {view.actions.includes("pair") ? (
        <div className="pu-row">
          <TextField label="Pairing code" placeholder="123-456" value={code} onInput={setCode} onEnter={() => void model.pair(code)} testId="pair-code" narrow />
          <Button variant="primary" onClick={() => void model.pair(code)} testId="pair">
            Pair
          </Button>
        </div>
      ) : null}
      {showAddress ? (
        <div className="pu-row">
          <TextField label="Host" value={host} onInput={setHost} testId="host" />
          <TextField label="Port" value={port} onInput={setPort} testId="port" narrow />
          <Checkbox checked={secure} onChange={setSecure} testId="secure">
            Secure (wss://)
          </Checkbox>
          <Button
            variant="primary"
            onClick={() => {
              setEditing(false);
              void model.setAddress(host, Number(port), secure);
            }}
            testId="save-address"
          >
            Connect
          </Button>
        </div>
      ) : null}
      {view.actions.includes("download") ? (
        <div className="pu-row">
          <Button variant="primary" onClick={() => void model.openDownloadPage()} testId="download">
            Download Portrait Upscale
          </Button>
        </div>
      ) : null}
      {view.actions.includes("retry") ? (
        <div className="pu-row">
          <Button variant="secondary" onClick={() => act("retry")} testId="retry">
            Retry now
          </Button>
        </div>
      ) : null}
    </section>
  );
}

/** The current time, refreshed every second while `ticking` (for the retry countdown). */
function useClock(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

function presetLabel(preset: PresetSummary): string {
  return `${preset.name} · ${SOURCE_LABEL[preset.source]}${preset.locked ? " · Locked" : ""}`;
}

/** Text with `commands` in backticks shown as code. */
function withCode(text: string): ReactNode {
  return text.split("`").map((part, index) => (index % 2 === 1 ? <code key={index} className="pu-code">{part}</code> : part));
}

/** A small padlock drawn in the text colour (emoji locks are missing from some fonts). */
function LockIcon(): JSX.Element {
  return (
    <svg className="pu-lock" width="10" height="12" viewBox="0 0 10 12" aria-label="Locked" role="img">
      <path d="M2.5 5V3.5a2.5 2.5 0 0 1 5 0V5" fill="none" stroke="currentColor" strokeWidth="1.3" />
      <rect x="1" y="5" width="8" height="6.5" rx="1" fill="currentColor" />
    </svg>
  );
}

function ControlsSection({ model, state }: { readonly model: PanelModel; readonly state: PanelState }): JSX.Element {
  const { settings, presets, document } = state;
  const preset = model.selectedPreset();
  const locked = preset?.locked === true;
  const running = state.job.status === "running";
  const connected = state.connection.status === "connected";
  const scale = preset ? effectiveScale(preset, settings) : settings.scale;
  let readout: string;
  let problem: string | undefined;
  try {
    const { area } = upscaleSource(document);
    readout = sizeReadout(boundsWidth(area), boundsHeight(area), scale);
  } catch (error) {
    const message = messageFor(toPanelError(error).code);
    problem = `${message.title} ${message.advice}`;
    readout = problem;
  }
  const source = document?.activeLayer ? `${document.activeLayer.name}${document.selection ? " · selection" : ""}` : undefined;
  return (
    <section className="pu-section pu-controls" data-testid="controls">
      <div className="pu-field">
        <Detail>PRESET</Detail>
        <Picker
          label="Preset"
          value={settings.presetId}
          options={
            presets.length > 0
              ? presets.map((candidate) => ({ value: candidate.id, label: presetLabel(candidate) }))
              : [{ value: "", label: "Presets appear once connected" }]
          }
          disabled={running || presets.length === 0}
          onChange={(id) => void model.choosePreset(id)}
          testId="preset"
        />
        {locked ? (
          <div className="pu-row pu-locked" data-testid="preset-locked">
            <LockIcon />
            <Detail>Locked: used exactly as the studio set it.</Detail>
          </div>
        ) : null}
        {preset ? <Detail testId="preset-description">{preset.description}</Detail> : null}
      </div>
      <div className="pu-field">
        <div className="pu-row pu-row--spread">
          <Detail>SCALE</Detail>
          <Picker
            label="Scale"
            value={String(scale)}
            options={SCALES.map((value) => ({ value: String(value), label: `${value}×` }))}
            disabled={locked || running}
            onChange={(value) => void model.setValue("scale", Number(value) as (typeof SCALES)[number])}
            testId="scale"
          />
        </div>
        <Detail testId="size-readout">{problem ? <span className="pu-problem">{readout}</span> : readout}</Detail>
        {source ? <Detail testId="source">{`From: ${source}`}</Detail> : null}
        {!problem && state.estimate?.status === "ready" ? <Detail testId="estimate">{`Estimate: ${state.estimate.text}`}</Detail> : null}
      </div>
      <Slider label="Creativity" value={settings.creativity} disabled={locked || running} onChange={(value) => void model.setValue("creativity", value)} testId="creativity" />
      <Slider label="Resemblance" value={settings.resemblance} disabled={locked || running} onChange={(value) => void model.setValue("resemblance", value)} testId="resemblance" />
      <Slider label="Denoise" value={settings.denoise} disabled={locked || running} onChange={(value) => void model.setValue("denoise", value)} testId="denoise" />
      {state.faceRestoreModels.length > 0 ? <FaceRestoreField model={model} state={state} disabled={locked || running} /> : null}
      <DeviceField model={model} state={state} disabled={running} />
      <div className="pu-field">
        <Detail>RESULT</Detail>
        <Radios value={settings.placement} options={PLACEMENT_OPTIONS} onChange={(value) => void model.setValue("placement", value as PlacementMode)} testId="placement" />
        <Checkbox checked={settings.review} onChange={(value) => void model.setValue("review", value)} testId="review">
          Review the face at 100 %
        </Checkbox>
      </div>
      <div className="pu-actions">
        <Button variant="cta" disabled={!connected || running || problem !== undefined} onClick={() => void model.upscale()} testId="upscale">
          Upscale Portrait
        </Button>
      </div>
    </section>
  );
}

function JobSection({ model, state }: { readonly model: PanelModel; readonly state: PanelState }): JSX.Element | null {
  const { job } = state;
  switch (job.status) {
    case "idle":
      return null;
    case "running": {
      const view = phaseView(job.phase);
      return (
        <section className="pu-section pu-job" data-testid="job" data-status="running" data-phase={job.phase.phase}>
          <div className="pu-row pu-row--spread">
            <Detail testId="stage">{job.cancelling ? "Cancelling…" : view.label}</Detail>
            <Detail testId="eta">{`${Math.round(view.fraction * 100)} %${view.eta ? ` · ${view.eta}` : ""}`}</Detail>
          </div>
          <ProgressBar value={view.fraction} label={view.label} testId="progress" />
          <div className="pu-row pu-row--end">
            <Button variant="secondary" disabled={job.cancelling} onClick={() => model.cancel()} testId="cancel">
              Cancel
            </Button>
          </div>
        </section>
      );
    }
    case "done": {
      const { summary } = job;
      return (
        <section className="pu-section pu-job" data-testid="job" data-status="done">
          <Body testId="result-title">{`✓ Added “${summary.layerName}”`}</Body>
          <Detail testId="result-detail">
            {`${summary.sourceWidth} × ${summary.sourceHeight} → ${summary.width} × ${summary.height} px · ${summary.models.join(" + ")} on ${summary.provider.toUpperCase()} · ${summary.seconds.toFixed(1)} s`}
          </Detail>
          {summary.notes.length > 0 ? <NotesView notes={summary.notes} /> : null}
          {summary.review ? <ReviewView report={summary.review} thumbnails={summary.thumbnails} /> : null}
        </section>
      );
    }
    case "failed": {
      const message = messageFor(job.error.code);
      return (
        <section className="pu-section pu-job pu-job--failed" data-testid="job" data-status="failed" data-code={job.error.code}>
          <Body testId="error-title">{message.title}</Body>
          <Detail testId="error-advice">{withCode(message.advice)}</Detail>
          {job.error.message && job.error.message !== message.title ? <Detail testId="error-message">{job.error.message}</Detail> : null}
          <div className="pu-row pu-row--end">
            <Button variant="secondary" quiet onClick={() => model.dismissJob()} testId="dismiss">
              Dismiss
            </Button>
          </div>
        </section>
      );
    }
    case "cancelled":
      return (
        <section className="pu-section pu-job" data-testid="job" data-status="cancelled">
          <Detail>Cancelled. Nothing was changed in the document.</Detail>
        </section>
      );
  }
}

/** What the daemon noted about the result (a small face, no face, a speculative scale), in words. */
function NotesView({ notes }: { readonly notes: readonly JobNote[] }): JSX.Element {
  return (
    <div className="pu-notes" data-testid="notes">
      {notes.map((note, index) => (
        <div className="pu-note" key={index} data-testid="note" data-code={note.code}>
          <Detail>{noteText(note)}</Detail>
        </div>
      ))}
    </div>
  );
}

type ReviewCheck = ReviewReport["checks"][number];

/** One reviewed region: its thumbnail (when the daemon sent one) and its checks. */
interface RegionGroup {
  readonly key: string;
  readonly face?: number;
  readonly region: string;
  readonly thumbnail?: ReviewThumbnail;
  readonly checks: ReviewCheck[];
}

/** Regions in the thumbnails' order, then any region with a failed check but no thumbnail. */
function regionGroups(report: ReviewReport, thumbnails: readonly ReviewThumbnail[]): RegionGroup[] {
  const groups = new Map<string, RegionGroup>();
  const keyOf = (face: number | undefined, region: string): string => `${face ?? "-"}:${region}`;
  for (const thumbnail of thumbnails) {
    const key = keyOf(thumbnail.face, thumbnail.region);
    groups.set(key, { key, ...(thumbnail.face !== undefined ? { face: thumbnail.face } : {}), region: thumbnail.region, thumbnail, checks: [] });
  }
  for (const check of report.checks) {
    const key = keyOf(check.face, check.region);
    const group = groups.get(key);
    if (group) group.checks.push(check);
    else if (!check.passed) groups.set(key, { key, ...(check.face !== undefined ? { face: check.face } : {}), region: check.region, checks: [check] });
  }
  return [...groups.values()];
}

function ReviewView({ report, thumbnails }: { readonly report: ReviewReport; readonly thumbnails: readonly ReviewThumbnail[] }): JSX.Element {
  const groups = regionGroups(report, thumbnails);
  return (
    <div className={`pu-review pu-review--${report.verdict}`} data-testid="review" data-verdict={report.verdict}>
      <Detail>{reviewVerdictText(report)}</Detail>
      {groups.map((group) => (
        <RegionView key={group.key} group={group} faces={report.faces} />
      ))}
      {report.advice ? (
        <div className="pu-review__advice">
          {remainingAdvice(report).map((line, index) => (
            <Detail key={index} testId="review-advice">
              {line}
            </Detail>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function RegionView({ group, faces }: { readonly group: RegionGroup; readonly faces: number }): JSX.Element {
  const failed = group.checks.filter((check) => !check.passed);
  const [large, setLarge] = useState(false);
  const thumbnail = group.thumbnail;
  // Click doubles a small crop (never past the panel's width) to see its pixels.
  const width = thumbnail ? thumbnail.width * (large ? 2 : 1) : 0;
  return (
    <div className="pu-region" data-testid="review-region" data-region={group.region} data-passed={failed.length === 0 ? "true" : "false"}>
      <div className="pu-region__head">
        <span className="pu-region__title">{regionTitle(group.region, group.face, faces)}</span>
        <span className={`pu-region__status pu-region__status--${failed.length === 0 ? "ok" : "warn"}`}>{failed.length === 0 ? "looks right" : "look closer"}</span>
      </div>
      {thumbnail ? (
        <div className="pu-thumb" style={{ width: `${width}px` }}>
          <div className="pu-thumb__captions">
            <span className="pu-thumb__caption">before</span>
            <span className="pu-thumb__caption">after</span>
          </div>
          <img
            className="pu-thumb__image"
            src={thumbnail.url}
            width={width}
            alt={`${regionWords(group.region)}: the source enlarged, beside the result`}
            title="Click to enlarge"
            data-testid="review-thumbnail"
            data-region={group.region}
            onClick={() => setLarge(!large)}
          />
        </div>
      ) : null}
      {failed.map((check, index) => (
        <div className="pu-region__check" key={index} data-testid="review-warning">
          <span className="pu-region__measure">{checkText(check)}</span>
          {check.advice ? <Detail>{check.advice.charAt(0).toUpperCase() + check.advice.slice(1)}</Detail> : null}
        </div>
      ))}
    </div>
  );
}
