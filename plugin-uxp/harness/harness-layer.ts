import type { LayerKind } from "../src/photoshop/adapter";

/** A layer as `window.harness.addLayer` takes it (the browser tests build these too). */
export interface HarnessLayer {
  readonly name: string;
  readonly kind?: LayerKind;
  readonly left?: number;
  readonly top?: number;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly bitDepth: 8 | 16;
  /** Samples in Photoshop's representation (16-bit: 0..32768). */
  readonly data: readonly number[];
}
