/**
 * The daemon protocol, defined once: WebSocket messages (`/v1/ws`, JSON text frames) and the
 * HTTP bodies of docs/api.md. Each schema validates, and its TypeScript type derives from it.
 * Image bytes never travel in JSON: see ./frames for binary chunks and their flow control.
 * The definitions live in the modules below, one part of the protocol each; this module is
 * their public face (protocol-fields.ts and protocol-info.ts are internal).
 */
export * from "./protocol-objects";
export * from "./protocol-messages";
export * from "./protocol-http";
