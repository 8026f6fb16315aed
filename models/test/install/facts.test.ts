import { describe, expect, it } from "vitest";
import { PortraitError } from "@portrait-upscale/shared";
import { loadManifest, modelFacts, modelResolver, validateFacts, withMeasurements } from "../../src/index";

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

describe("withMeasurements: a brought model's measured figures over the assumed ones", () => {
  const assumed = validateFacts(
    { role: "detail", choice: "x", context: 64, memory: { cpu: { bytesPerTilePixel: 16000, fixedBytes: 0 }, cuda: { bytesPerTilePixel: 9000, fixedBytes: 0 } }, cost: { cpu: { secondsPerInputMegapixel: 95 } }, measured: "assumed" },
    "assumed",
  );
  const cpu = { provider: "cpu", at: "2026-12-07T06:00:00Z", context: 16, memory: { bytesPerTilePixel: 2000, fixedBytes: 0 }, cost: { secondsPerInputMegapixel: 5 }, method: "test" } as const;
  const resolved = (...measurements: Parameters<typeof withMeasurements>[1]) =>
    modelResolver([{ id: "user:x", nativeScale: 2, facts: withMeasurements(assumed, measurements) }]).byId("user:x");

  it("gives the measured provider its figures and every other provider the assumed ones for that provider", () => {
    const model = resolved(cpu);
    expect(model.context).toBe(16);
    expect(model.memory("cpu")).toEqual(cpu.memory);
    expect(model.cost("cpu")).toEqual(cpu.cost);
    expect(model.memory("cuda")).toEqual({ bytesPerTilePixel: 9000, fixedBytes: 0 });
    expect(model.cost("cuda")).toEqual({ secondsPerInputMegapixel: 95 });
    expect(model.cost("dml")).toEqual({ secondsPerInputMegapixel: 95 });
  });

  it("keeps the assumed memory where a measurement has none (a GPU's), takes the latest per provider and the largest context", () => {
    const cuda = { provider: "cuda", at: "2026-12-07T07:00:00Z", context: 24, cost: { secondsPerInputMegapixel: 0.5 }, method: "test" } as const;
    const later = { ...cpu, at: "2026-12-08T06:00:00Z", cost: { secondsPerInputMegapixel: 4 } };
    const model = resolved(later, cuda, cpu);
    expect(model.context).toBe(24);
    expect(model.memory("cuda")).toEqual({ bytesPerTilePixel: 9000, fixedBytes: 0 });
    expect(model.cost("cuda")).toEqual(cuda.cost);
    expect(model.cost("cpu")).toEqual(later.cost);
  });

  it("leaves the assumed facts as they are without measurements", () => {
    expect(withMeasurements(assumed, [])).toBe(assumed);
  });
});
