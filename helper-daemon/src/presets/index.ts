export { PresetStore, readPresetFile } from "./store";
export type { PresetProblem, PresetStoreOptions } from "./store";
