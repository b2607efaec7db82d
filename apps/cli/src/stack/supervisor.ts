import type { ChildProcess } from 'node:child_process';
import { stopChild } from './children';

export interface SupervisorOptions {
  /** First restart delay; doubled after each crash that follows quickly, up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A child that ran this long before it crashed counts as healthy: the delay starts over. */
  healthyAfterMs?: number;
  /** Told of every unexpected exit, with the delay before the restart. */
  onExit?: (code: number | null, signal: NodeJS.Signals | null, restartInMs: number) => void;
}

/**
 * Keeps one child process running: a child that exits on its own is started again after a delay
 * that grows while it keeps crashing (so a broken configuration does not spin), and `stop()` ends it
 * for good. One service crashing (say the api on a bad request) then no longer stops the stack.
 */
export class Supervisor {
  private child?: ChildProcess;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private delay: number;
  private readonly opts: Required<Omit<SupervisorOptions, 'onExit'>> & Pick<SupervisorOptions, 'onExit'>;
  /** How many times the child has been started. */
  starts = 0;

  constructor(private readonly spawnChild: () => ChildProcess, opts: SupervisorOptions = {}) {
    this.opts = { initialDelayMs: 1000, maxDelayMs: 30000, healthyAfterMs: 60000, ...opts };
    this.delay = this.opts.initialDelayMs;
    this.start();
  }

  private start(): void {
    const startedAt = Date.now();
    const child = this.spawnChild();
    this.starts++;
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.stopped) return;
      if (Date.now() - startedAt >= this.opts.healthyAfterMs) this.delay = this.opts.initialDelayMs;
      const wait = this.delay;
      this.delay = Math.min(this.delay * 2, this.opts.maxDelayMs);
      this.opts.onExit?.(code, signal, wait);
      this.timer = setTimeout(() => this.start(), wait);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(graceMs?: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.child) await stopChild(this.child, graceMs);
  }
}
