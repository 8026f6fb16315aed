/**
 * One-time pairing codes: `portrait-upscale pair` asks the running daemon for a code like
 * `482-913`, the user types it into the panel, and the panel exchanges it for the token.
 * A code lives two minutes and works once. Wrong guesses are rate-limited and burn the
 * current code, so the million possible codes cannot be tried in time.
 */
import { randomInt } from "node:crypto";
import { PortraitError } from "@portrait-upscale/shared";

export interface PairingOptions {
  /** Lifetime of a code in milliseconds (2 minutes). */
  readonly lifetimeMs?: number;
  /** Wrong attempts allowed per window before all attempts are refused until it ends. */
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
}

export interface PairingCode {
  readonly code: string;
  readonly expiresAt: number;
}

export class Pairing {
  readonly #token: string;
  readonly #lifetimeMs: number;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #current: PairingCode | undefined;
  #failures: number[] = [];

  constructor(token: string, options: PairingOptions = {}) {
    this.#token = token;
    this.#lifetimeMs = options.lifetimeMs ?? 120_000;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Makes a new code, replacing any earlier one. */
  createCode(): PairingCode {
    const digits = String(randomInt(0, 1_000_000)).padStart(6, "0");
    this.#current = { code: `${digits.slice(0, 3)}-${digits.slice(3)}`, expiresAt: this.#now() + this.#lifetimeMs };
    return this.#current;
  }

  /** Exchanges a code for the token; PAIRING_INVALID for a wrong, used or expired code, or too many tries. */
  redeem(code: string): string {
    const now = this.#now();
    this.#failures = this.#failures.filter((time) => now - time < this.#windowMs);
    if (this.#failures.length >= this.#maxFailures) {
      const retryAfterSeconds = Math.ceil((this.#failures[0] + this.#windowMs - now) / 1000);
      throw new PortraitError("PAIRING_INVALID", "Too many wrong pairing codes; wait, then run `portrait-upscale pair` again.", {
        retryAfterSeconds,
      });
    }
    const current = this.#current;
    if (current && current.expiresAt > now && current.code === code) {
      this.#current = undefined;
      return this.#token;
    }
    this.#failures.push(now);
    // Guessing is the only way to fail repeatedly: a burst of failures burns the live code.
    if (this.#failures.length >= this.#maxFailures) this.#current = undefined;
    throw new PortraitError("PAIRING_INVALID");
  }
}
