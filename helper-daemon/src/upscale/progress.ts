/**
 * Progress over a whole upscale job with an ETA. Tiles dominate the time, so the ETA is the
 * mean time per finished tile times the tiles left (restarting when the driver shrinks tiles).
 */

export type UpscaleStage = "decode" | "upscale" | "encode";

export interface UpscaleProgress {
  readonly stage: UpscaleStage;
  /** 0..1 over the whole job. */
  readonly progress: number;
  readonly tile?: number;
  readonly tiles?: number;
  readonly etaSeconds?: number;
}

/** Share of the job given to decoding and encoding; the rest is tiles. */
const DECODE_SHARE = 0.02;
const ENCODE_SHARE = 0.05;

/** Turns tile events into {@link UpscaleProgress} with an ETA. */
export class ProgressTracker {
  private tilesStartedAt = 0;
  private lastTiles = 0;
  private lastTileAt = 0;

  constructor(
    private readonly emit: ((progress: UpscaleProgress) => void) | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  decode(): void {
    this.emit?.({ stage: "decode", progress: 0 });
  }

  upscaleStarted(): void {
    this.tilesStartedAt = this.now();
  }

  tile(tile: number, tiles: number): void {
    if (tiles !== this.lastTiles) {
      // A new layout after halving the tile: earlier tiles say nothing about the new ones.
      if (this.lastTiles !== 0) this.tilesStartedAt = this.lastTileAt;
      this.lastTiles = tiles;
    }
    this.lastTileAt = this.now();
    const elapsed = (this.now() - this.tilesStartedAt) / 1000;
    const etaSeconds = (elapsed / tile) * (tiles - tile);
    const progress = DECODE_SHARE + (1 - DECODE_SHARE - ENCODE_SHARE) * (tile / tiles);
    this.emit?.({ stage: "upscale", progress, tile, tiles, etaSeconds });
  }

  encode(): void {
    this.emit?.({ stage: "encode", progress: 1 - ENCODE_SHARE, etaSeconds: 0 });
  }

  done(): void {
    this.emit?.({ stage: "encode", progress: 1, etaSeconds: 0 });
  }
}
