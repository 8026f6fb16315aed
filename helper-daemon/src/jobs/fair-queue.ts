/**
 * The queue's fairness: one queue per client, served in turn, so one panel submitting twenty
 * jobs cannot starve another. Pure bookkeeping; the engine decides when to take.
 */
export class FairQueue<T> {
  readonly #queues = new Map<string, T[]>();
  /** Clients in the order they are served; the head is served next. */
  readonly #rotation: string[] = [];

  /** Adds `item` at the end of `clientId`'s queue. */
  push(clientId: string, item: T): void {
    const queue = this.#queues.get(clientId);
    if (queue) queue.push(item);
    else this.#queues.set(clientId, [item]);
    if (!this.#rotation.includes(clientId)) this.#rotation.push(clientId);
  }

  /** True while `item` waits in `clientId`'s queue. */
  has(clientId: string, item: T): boolean {
    return this.#queues.get(clientId)?.includes(item) ?? false;
  }

  /** Takes `item` out of `clientId`'s queue (a cancelled job). */
  remove(clientId: string, item: T): void {
    const queue = this.#queues.get(clientId);
    if (!queue) return;
    const index = queue.indexOf(item);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length > 0) return;
    this.#queues.delete(clientId);
    const turn = this.#rotation.indexOf(clientId);
    if (turn >= 0) this.#rotation.splice(turn, 1);
  }

  /**
   * The next item: the first one `ready` accepts in the queue of the client whose turn it is
   * (the head, unless it waits for a busy device); that client goes to the back. Clients with
   * nothing ready keep their turn.
   */
  take(ready: (item: T) => boolean = () => true): T | undefined {
    for (const [turn, clientId] of this.#rotation.entries()) {
      const queue = this.#queues.get(clientId) ?? [];
      const index = queue.findIndex(ready);
      if (index < 0) continue;
      const [item] = queue.splice(index, 1);
      this.#rotation.splice(turn, 1);
      if (queue.length > 0) this.#rotation.push(clientId);
      else this.#queues.delete(clientId);
      return item;
    }
    return undefined;
  }

  /** True when nothing waits. */
  get empty(): boolean {
    return this.#rotation.length === 0;
  }
}
