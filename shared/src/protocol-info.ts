/**
 * What the daemon says about itself, shared by `welcome` and `GET /v1/info`; internal: protocol.ts
 * does not export it.
 */
import {
  MAX_DEVICE_ID,
  deviceSummarySchema,
  limitsSchema,
  modelSummarySchema,
  presetIdSchema,
  presetSummarySchema,
} from "./protocol-objects";
import { array, integer, object, string } from "./schema";

export const deviceListSchema = array(deviceSummarySchema, { minItems: 1, maxItems: MAX_DEVICE_ID + 1 });

export const infoShape = {
  protocol: integer({ min: 1 }),
  daemonVersion: string({ minLength: 1, maxLength: 32 }),
  providers: object({ available: array(string({ minLength: 1, maxLength: 32 })), active: string({ minLength: 1, maxLength: 32 }) }),
  models: array(modelSummarySchema),
  presets: array(presetSummarySchema),
  defaultPreset: presetIdSchema,
  limits: limitsSchema,
};
