import { describe, expect, it } from "vitest";
import { PanelError } from "../panel-errors";
import { MemoryPhotoshopAdapter } from "./memory-photoshop-adapter";
import { withModalRetry } from "./modal";

describe("modal scopes", () => {
  it("refuse overlapping use with Photoshop's error 9, like another plug-in holding the modal state", async () => {
    const adapter = new MemoryPhotoshopAdapter();
    const inner = adapter.executeModal("outer", () => adapter.executeModal("inner", async () => "never"));
    await expect(inner).rejects.toMatchObject({ number: 9 });
    expect(adapter.inModalScope).toBe(false);
  });

  it("retry while the modal state is held, pausing as configured, then succeed", async () => {
    const adapter = new MemoryPhotoshopAdapter();
    adapter.holdModalStateFor(3);
    const pauses: number[] = [];
    const waits: number[] = [];
    const value = await withModalRetry(adapter, "Read", async () => 42, {
      delaysMs: [1, 2, 3, 4],
      sleep: async (ms) => void pauses.push(ms),
      onWait: (attempt) => waits.push(attempt),
    });
    expect(value).toBe(42);
    expect(pauses).toEqual([1, 2, 3]);
    expect(waits).toEqual([1, 2, 3]);
  });

  it("give up with MODAL_BUSY after the last retry", async () => {
    const adapter = new MemoryPhotoshopAdapter();
    adapter.holdModalStateFor(10);
    const error = await withModalRetry(adapter, "Place", async () => 1, { delaysMs: [1, 1], sleep: async () => undefined }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PanelError);
    expect((error as PanelError).code).toBe("MODAL_BUSY");
    expect((error as PanelError).data).toEqual({ command: "Place", attempts: 3 });
  });

  it("pass other failures through at once", async () => {
    const adapter = new MemoryPhotoshopAdapter();
    let calls = 0;
    const failing = withModalRetry(adapter, "Read", async () => {
      calls++;
      throw new PanelError("PHOTOSHOP_COMMAND_FAILED");
    });
    await expect(failing).rejects.toMatchObject({ code: "PHOTOSHOP_COMMAND_FAILED" });
    expect(calls).toBe(1);
  });

  it("roll back a suspended history when not committed", async () => {
    const adapter = new MemoryPhotoshopAdapter();
    const doc = adapter.addDocument({ title: "D", width: 4, height: 4 });
    adapter.addLayer(doc.id, { name: "L", raster: { width: 4, height: 4, channels: 3, data: new Uint8Array(48) } });
    await adapter.executeModal("write", async (scope) => {
      const id = await adapter.suspendHistory(scope, doc.id, "Upscale Portrait");
      await adapter.resizeDocument(scope, doc.id, 8, 8);
      await adapter.resumeHistory(scope, id, false);
    });
    expect([doc.width, doc.height, doc.history]).toEqual([4, 4, ["Open"]]);
    expect(doc.layers[0].raster.width).toBe(4);
    await expect(adapter.readPixels({ commandName: "x", isCancelled: () => false }, { documentId: doc.id, layerId: doc.layers[0].id })).rejects.toThrow(
      "needs a modal scope",
    );
  });
});
