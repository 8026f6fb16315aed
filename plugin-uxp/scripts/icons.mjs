// Draws the plug-in's icons: a head-and-shoulders outline with an arrow pointing up and out,
// antialiased by supersampling, in one grey per theme.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

const SUPERSAMPLE = 4;

/** Coverage of the glyph at (x, y) in a unit square (0..1). */
function inGlyph(x, y) {
  const ring = (cx, cy, r, w) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2;
  const head = ring(0.4, 0.36, 0.16, 0.085);
  const shoulders = y > 0.64 && y < 0.95 && ring(0.4, 1.02, 0.36, 0.085) && y < 0.92;
  const shaft = Math.abs(x + y - 1.02 - 0.0) < 0.06 && x > 0.66 && x < 0.93;
  const headH = x > 0.72 && x < 0.95 && y > 0.05 && y < 0.11;
  const headV = x > 0.89 && x < 0.95 && y > 0.05 && y < 0.28;
  return head || shoulders || shaft || headH || headV;
}

function draw(size, rgb) {
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let hits = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++)
        for (let sx = 0; sx < SUPERSAMPLE; sx++) if (inGlyph((x + (sx + 0.5) / SUPERSAMPLE) / size, (y + (sy + 0.5) / SUPERSAMPLE) / size)) hits++;
      const i = (y * size + x) * 4;
      pixels.set(rgb, i);
      pixels[i + 3] = Math.round((255 * hits) / (SUPERSAMPLE * SUPERSAMPLE));
    }
  }
  return sharp(pixels, { raw: { width: size, height: size, channels: 4 } }).png().toBuffer();
}

/** Writes every icon the manifest names into `dir/icons`. */
export async function writeIcons(dir) {
  const icons = join(dir, "icons");
  mkdirSync(icons, { recursive: true });
  const light = [0xd8, 0xd8, 0xd8];
  const dark = [0x3a, 0x3a, 0x3a];
  const files = {
    "panel-dark.png": draw(23, light),
    "panel-dark@2x.png": draw(46, light),
    "panel-light.png": draw(23, dark),
    "panel-light@2x.png": draw(46, dark),
    "plugin.png": draw(48, [0x80, 0x80, 0x80]),
    "plugin@2x.png": draw(96, [0x80, 0x80, 0x80]),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(icons, name), await bytes);
}
