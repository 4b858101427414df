/**
 * What the local runtime has started and must stop: every component adds
 * its own stop right after it started, and `stopAll` stops them in reverse
 * order (servers before the tables they use), each at most once, a failing
 * one not keeping the rest running.
 */
export interface Stoppable {
  stop(): Promise<void>;
}

export class Stoppables {
  private readonly stops: Array<() => Promise<void>> = [];

  /** Registers `item` to be stopped; returns it, so a start reads `const x = stoppables.add(await startX())`. */
  public add<T extends Stoppable>(item: T): T {
    this.stops.push(() => item.stop());
    return item;
  }

  /** Registers a stop step that is not an object's `stop()` (a timer, a client). */
  public onStop(stop: () => Promise<void> | void): void {
    this.stops.push(async () => stop());
  }

  public async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop().catch(() => undefined);
  }
}
