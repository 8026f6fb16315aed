import { describe, expect, it } from "vitest";
import { base64Of, reviewThumbnails } from "./review-thumbnails";

describe("review thumbnails", () => {
  it("encodes bytes as base64 exactly, whatever the length's remainder", () => {
    for (const length of [0, 1, 2, 3, 4, 5, 255, 256, 1000]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 11) & 255);
      expect(base64Of(bytes)).toBe(Buffer.from(bytes).toString("base64"));
    }
  });

  it("turns each crop into a PNG data URL, keeping its face, region and size", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47]);
    expect(reviewThumbnails([{ face: 0, region: "noseBridge", width: 130, height: 96, png }, { region: "image", width: 4, height: 2, png }])).toEqual([
      { face: 0, region: "noseBridge", width: 130, height: 96, url: "data:image/png;base64,iVBORw==" },
      { region: "image", width: 4, height: 2, url: "data:image/png;base64,iVBORw==" },
    ]);
  });
});
