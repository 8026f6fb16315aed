import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { loadManifest, modelFacts, modelResolver, validateFacts } from "../../src/index";

const facts = modelFacts();

describe("modelFacts: the one resolver of model facts", () => {
  it.each([
    ["x4plus", 4, "realesrgan-x4plus", 4],
    ["x4plus", 2, "realesrgan-x4plus", 4],
    ["x4fast", 6, "realesrgan-x4fast", 4],
    ["thick", 2, "esrgan-thick-x2", 2],
    ["thick", 3, "esrgan-thick-x3", 3],
    ["thick", 6, "esrgan-thick-x4", 4],
    ["thick", 8, "esrgan-thick-x8", 8],
  ] as const)("forChoice(%s, ×%i) → %s (native ×%i)", (choice, scale, id, native) => {
    const model = facts.forChoice(choice, scale);
    expect(model.id).toBe(id);
    expect(model.nativeScale).toBe(native);
  });

  it.each([
    [2, "esrgan-thick-x2"],
    [3, "esrgan-thick-x3"],
    [4, "esrgan-thick-x4"],
    [6, "esrgan-thick-x8"],
    [8, "esrgan-thick-x8"],
  ] as const)("reaching(thick, ×%i) → %s", (scale, id) => {
    expect(facts.reaching("thick", scale).id).toBe(id);
  });

  it("roles, contexts and per-provider figures come from the manifest", () => {
    expect(facts.roleOf("realesrgan-x4plus")).toBe("detail");
    expect(facts.roleOf("esrgan-thick-x4")).toBe("fidelity");
    expect(facts.roleOf("blazeface-front-128")).toBe("detector");
    const x4plus = facts.byId("realesrgan-x4plus");
    expect(x4plus.context).toBe(64);
    // A provider without figures of its own uses the CPU's.
    expect(x4plus.memory("cuda")).toEqual(x4plus.memory("cpu"));
    expect(x4plus.cost("cpu").secondsPerInputMegapixel).toBeGreaterThan(facts.byId("realesrgan-x4fast").cost("cpu").secondsPerInputMegapixel);
  });

  it("every model of the manifest has facts", () => {
    for (const model of loadManifest().models) expect(model.facts, model.id).toBeDefined();
  });

  it("unknown ids and choices are MODEL_UNKNOWN, listing the valid ones", () => {
    expect(() => facts.byId("nope")).toThrow(PortraitError);
    expect(() => facts.forChoice("x5", 4)).toThrow('No model is called "x5". Choose x4plus, x4fast, thick.');
  });

  it("a provider's own figures win over the CPU's", () => {
    const resolver = modelResolver([
      {
        id: "m",
        nativeScale: 4,
        facts: validateFacts(
          {
            role: "detail",
            choice: "m",
            context: 8,
            memory: { cpu: { bytesPerTilePixel: 1000, fixedBytes: 0 }, cuda: { bytesPerTilePixel: 500, fixedBytes: 1 } },
            cost: { cpu: { secondsPerInputMegapixel: 10 } },
            measured: "test",
          },
          "facts",
        ),
      },
    ]);
    expect(resolver.byId("m").memory("cuda")).toEqual({ bytesPerTilePixel: 500, fixedBytes: 1 });
    expect(resolver.byId("m").memory("dml").bytesPerTilePixel).toBe(1000);
  });

  it.each([
    [{ role: "painter" }, 'Expected one of "detail", "fidelity", "detector", "landmarks", "matte", "face-restore" for facts.role but received "painter" of type string'],
    [{ context: -1 }, "Expected an integer of at least 0 for facts.context but received -1 of type number"],
    [{ memory: {} }, "Expected an object for facts.memory.cpu but received undefined"],
    [{ memory: { tpu: { bytesPerTilePixel: 1, fixedBytes: 0 } } }, "Expected no such field (known: cpu, cuda, dml, coreml, webgpu) for facts.memory.tpu but received a value of type object"],
    [{ cost: { cpu: { secondsPerInputMegapixel: 0 } } }, "Expected a number above 0 for facts.cost.cpu.secondsPerInputMegapixel but received 0 of type number"],
    [{ measured: "" }, 'Expected a non-empty string for facts.measured but received "" of type string'],
  ])("refuses bad facts (%j) with the one message shape", (change, message) => {
    const good = {
      role: "detail",
      choice: "m",
      context: 8,
      memory: { cpu: { bytesPerTilePixel: 1000, fixedBytes: 0 } },
      cost: { cpu: { secondsPerInputMegapixel: 10 } },
      measured: "test",
    };
    expect(() => validateFacts({ ...good, ...change }, "facts")).toThrow(expect.objectContaining({ code: "INVALID_OPTION", message }));
  });
});
