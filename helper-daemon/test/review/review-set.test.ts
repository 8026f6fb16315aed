// The labelled set's builder: a degraded copy that differs in no pixel from the good result it
// was made from is not labelled flawed (blotchy skin where no face was found paints nothing).
import { describe, expect, it } from "vitest";
import { BLOTCH_AMPLITUDE, changedOnly, mottle, posterize, type LabelledSample } from "../../src/bench/review-set";
import type { RgbImage } from "../../src/image/image";
import { ASTRONAUT_FACE, skin } from "./support";

const source = skin(128, 128);
const base = skin(256, 256);

function flawed(name: string, result: RgbImage): LabelledSample {
  return { name, source, result, scale: 2, settings: {}, labels: ["blotchy"], tolerated: [] };
}

describe("the labelled set's degraded samples", () => {
  it("drops a degradation that painted nothing and keeps the ones that changed the result", () => {
    const noFace = mottle(base, [], 2, BLOTCH_AMPLITUDE);
    const withFace = mottle(base, [ASTRONAUT_FACE], 2, BLOTCH_AMPLITUDE);
    const kept = changedOnly(base, [flawed("blotchy, no face", noFace), flawed("blotchy", withFace), flawed("banded", posterize(base, 24))]);
    expect(kept.map((s) => s.name)).toEqual(["blotchy", "banded"]);
  });
});
