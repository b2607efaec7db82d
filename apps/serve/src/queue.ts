/**
 * A first-in first-out lock. The engine runs on one thread (tfjs wasm under Node), so a model serves
 * one generation at a time; the others wait here in arrival order while the event loop stays free.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;
  private held = false;

  /** Resolves with the release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const before = this.tail;
    this.tail = before.then(() => mine);
    this.waiting++;
    return before.then(() => {
      this.waiting--;
      this.held = true;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        this.held = false;
        release();
      };
    });
  }

  /** Requests waiting, and whether one is running. */
  get state(): { waiting: number; running: boolean } {
    return { waiting: this.waiting, running: this.held };
  }
}
