export * from "./errors";
export * from "./schema";
export * from "./crc32";
export * from "./frames";
export * from "./protocol";
export * from "./presets";
export * from "./transfer";
export * from "./duration";
