/**
 * One-time pairing codes: `portrait-upscale pair` asks the running daemon for a code like
 * `482-913`, the user types it into the panel, and the panel exchanges it for the token.
 * A code lives two minutes and works once.
 *
 * Guessing is throttled, never punished on the code: a wrong guess never burns the live code
 * (that let anyone deny pairing to the real user with one guess every few seconds). Instead
 * each requester (a WebSocket, or an HTTP client's address) has a small budget of wrong
 * guesses that refills slowly, and all requesters together have one shared budget of checks,
 * which bounds the guesses against any one code. docs/daemon.md has the arithmetic.
 */
import { randomInt } from "node:crypto";
import { PortraitError } from "@portrait-upscale/shared";

export interface PairingOptions {
  /** Lifetime of a code in milliseconds (2 minutes). */
  readonly lifetimeMs?: number;
  /** Wrong guesses one requester may make in a burst, and the time in which one more is earned. */
  readonly requesterBurst?: number;
  readonly requesterRefillMs?: number;
  /** Checks all requesters together may make in a burst, and the time in which one more is earned. */
  readonly globalBurst?: number;
  readonly globalRefillMs?: number;
  readonly now?: () => number;
}

export interface PairingCode {
  readonly code: string;
  readonly expiresAt: number;
}

/** The defaults: see "Pairing" in docs/daemon.md for what they allow an attacker. */
export const PAIRING_LIMITS = {
  lifetimeMs: 120_000,
  requesterBurst: 5,
  requesterRefillMs: 12_000,
  globalBurst: 30,
  globalRefillMs: 500,
} as const;

/** A token bucket: `burst` tokens, one more every `refillMs`. */
class Bucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly burst: number,
    readonly refillMs: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#at) / this.refillMs);
    this.#at = now;
  }

  /** True (and one token spent) when a token is available. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whole seconds until a token is available. */
  waitSeconds(now: number): number {
    this.#refill(now);
    return Math.max(1, Math.ceil(((1 - this.#tokens) * this.refillMs) / 1000));
  }

  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.burst;
  }
}

export class Pairing {
  readonly #token: string;
  readonly #lifetimeMs: number;
  readonly #requesterBurst: number;
  readonly #requesterRefillMs: number;
  readonly #now: () => number;
  readonly #global: Bucket;
  readonly #requesters = new Map<string, Bucket>();
  #current: PairingCode | undefined;

  constructor(token: string, options: PairingOptions = {}) {
    this.#token = token;
    this.#now = options.now ?? Date.now;
    this.#lifetimeMs = options.lifetimeMs ?? PAIRING_LIMITS.lifetimeMs;
    this.#requesterBurst = options.requesterBurst ?? PAIRING_LIMITS.requesterBurst;
    this.#requesterRefillMs = options.requesterRefillMs ?? PAIRING_LIMITS.requesterRefillMs;
    this.#global = new Bucket(options.globalBurst ?? PAIRING_LIMITS.globalBurst, options.globalRefillMs ?? PAIRING_LIMITS.globalRefillMs, this.#now());
  }

  /** Makes a new code, replacing any earlier one. */
  createCode(): PairingCode {
    const digits = String(randomInt(0, 1_000_000)).padStart(6, "0");
    this.#current = { code: `${digits.slice(0, 3)}-${digits.slice(3)}`, expiresAt: this.#now() + this.#lifetimeMs };
    return this.#current;
  }

  /**
   * Exchanges a code for the token. `requester` names who asks (one WebSocket, or one remote
   * address) so that one guesser's budget is not another's. PAIRING_INVALID for a wrong, used
   * or expired code, and (with `retryAfterSeconds`) when a budget is spent.
   */
  redeem(code: string, requester: string): string {
    const now = this.#now();
    this.#forgetRested(now);
    let own = this.#requesters.get(requester);
    if (own === undefined) {
      own = new Bucket(this.#requesterBurst, this.#requesterRefillMs, now);
      this.#requesters.set(requester, own);
    }
    // Own budget first: a throttled guesser spends nothing of the shared one.
    if (!own.take(now)) throw tooMany(own.waitSeconds(now));
    if (!this.#global.take(now)) throw tooMany(this.#global.waitSeconds(now));
    const current = this.#current;
    if (current && current.expiresAt > now && current.code === code) {
      this.#current = undefined;
      this.#requesters.delete(requester);
      return this.#token;
    }
    throw new PortraitError("PAIRING_INVALID");
  }

  /** Requesters whose budget is full again need no memory (keeps the map small under a flood). */
  #forgetRested(now: number): void {
    if (this.#requesters.size < 1024) return;
    for (const [key, bucket] of this.#requesters) if (bucket.full(now)) this.#requesters.delete(key);
  }
}

function tooMany(retryAfterSeconds: number): PortraitError {
  return new PortraitError("PAIRING_INVALID", "Too many pairing attempts; wait, then try again.", { retryAfterSeconds });
}
