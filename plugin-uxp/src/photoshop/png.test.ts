import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodePng } from "./png";

async function decode(png: Uint8Array, sixteen: boolean, grey = false): Promise<{ data: Buffer; channels: number; width: number }> {
  // Without an explicit colourspace sharp hands out 8-bit sRGB whatever the file holds.
  const space = grey ? (sixteen ? "grey16" : "b-w") : sixteen ? "rgb16" : "srgb";
  const { data, info } = await sharp(png).toColourspace(space).raw({ depth: sixteen ? "ushort" : "uchar" }).toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels, width: info.width };
}

describe("PNG writer", () => {
  it("writes 8-bit RGBA that decodes to the same samples", async () => {
    const samples = Uint8Array.from({ length: 5 * 3 * 4 }, (_, i) => (i * 37) & 0xff);
    const png = encodePng({ width: 5, height: 3, channels: 4, bitDepth: 8, samples });
    const decoded = await decode(png, false);
    expect(decoded.channels).toBe(4);
    expect(Array.from(decoded.data)).toEqual(Array.from(samples));
  });

  it("writes 16-bit RGB over several stored blocks, full white kept", async () => {
    const width = 150;
    const height = 80; // > 65535 raw bytes: several deflate blocks
    const samples = Uint16Array.from({ length: width * height * 3 }, (_, i) => (i * 2654435761) % 65536);
    samples[0] = 65535;
    const png = encodePng({ width, height, channels: 3, bitDepth: 16, samples });
    const decoded = await decode(png, true);
    const values = new Uint16Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length / 2);
    expect(decoded.channels).toBe(3);
    expect(values[0]).toBe(65535);
    expect(Buffer.compare(Buffer.from(values.buffer, values.byteOffset, values.byteLength), Buffer.from(samples.buffer))).toBe(0);
  });

  it("writes grey and grey + alpha", async () => {
    const grey = Uint8Array.from([0, 128, 255, 7]);
    expect(Array.from((await decode(encodePng({ width: 2, height: 2, channels: 1, bitDepth: 8, samples: grey }), false, true)).data)).toEqual(Array.from(grey));
    const greyAlpha = Uint8Array.from([10, 255, 20, 0]);
    const png = encodePng({ width: 2, height: 1, channels: 2, bitDepth: 8, samples: greyAlpha });
    expect((await sharp(png).metadata()).channels).toBe(2);
    // sharp expands grey + alpha to RGBA when asked for raw pixels.
    expect(Array.from((await sharp(png).raw().toBuffer()))).toEqual([10, 10, 10, 255, 20, 20, 20, 0]);
  });

  it("records the document's resolution so Photoshop places it pixel for pixel", async () => {
    const png = encodePng({ width: 2, height: 2, channels: 3, bitDepth: 8, samples: new Uint8Array(12), pixelsPerInch: 300 });
    const metadata = await sharp(png).metadata();
    expect(Math.round(metadata.density ?? 0)).toBe(300);
    expect(Array.from((await sharp(png).raw().toBuffer()))).toEqual(new Array(12).fill(0));
  });

  it("converts Photoshop's 16-bit range while writing", async () => {
    const png = encodePng({ width: 3, height: 1, channels: 1, bitDepth: 16, samples: Uint16Array.from([0, 16384, 32768]), photoshopRange: true });
    const data = await sharp(png).toColourspace("grey16").raw({ depth: "ushort" }).toBuffer();
    expect(Array.from(new Uint16Array(data.buffer, data.byteOffset, 3))).toEqual([0, 32768, 65535]);
  });
});
