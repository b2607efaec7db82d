/**
 * The hand-written scheduling of the teacher client: a concurrency semaphore, token-bucket rate
 * limits (requests and tokens per minute), exponential backoff with jitter, Retry-After parsing and
 * abortable sleeps. All waits are FIFO and abortable, and none leaves a timer behind.
 */
import { abortError } from './errors';

const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` when `signal` aborts; returns the unsubscribe function. However many waits share
 * a signal (a run's signal is shared by every request in flight), the signal carries one listener.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let set = subscribers.get(signal);
  if (!set) {
    const callbacks = new Set<() => void>();
    set = callbacks;
    subscribers.set(signal, callbacks);
    signal.addEventListener(
      'abort',
      () => {
        const pending = [...callbacks];
        callbacks.clear();
        for (const cb of pending) cb();
      },
      { once: true },
    );
  }
  set.add(callback);
  return () => void set.delete(callback);
}

/** Resolves after ms, or rejects with an aborted TeacherError when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const unsubscribe = signal
      ? onAbort(signal, () => {
          clearTimeout(timer);
          reject(abortError());
        })
      : undefined;
    const timer = setTimeout(() => {
      unsubscribe?.();
      resolve();
    }, ms);
  });
}

/** One controller aborted by any of the given signals. Call `dispose()` when done. */
export function linkedController(...signals: (AbortSignal | undefined)[]): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const unsubscribes: (() => void)[] = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) controller.abort();
    else unsubscribes.push(onAbort(s, abort));
  }
  return { controller, dispose: () => unsubscribes.forEach((u) => u()) };
}

/** mulberry32: a small seeded generator in [0, 1), for reproducible jitter in tests and benches. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Wait before retry number `retry` (1 = first retry): min(maxMs, baseMs * 2^(retry-1)), jittered
 * uniformly between half and all of it ("equal jitter": spreads retries without ever retrying at once).
 */
export function backoffDelay(retry: number, backoff: { baseMs: number; maxMs: number }, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, retry - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * Milliseconds a response asks us to wait: `retry-after-ms` (OpenAI's extension) or `Retry-After`
 * as delta-seconds (fractions allowed) or an HTTP date. Undefined when absent or unparseable.
 */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms != null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A counting semaphore with a FIFO queue; acquire() resolves to the release function. */
export class Semaphore {
  private active = 0;
  private readonly queue: { grant: () => void; cancel: () => void }[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`concurrency must be at least 1, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          unsubscribe?.();
          this.active++;
          resolve(this.releaser());
        },
        cancel: () => reject(abortError()),
      };
      const unsubscribe = signal
        ? onAbort(signal, () => {
            const i = this.queue.indexOf(entry);
            if (i >= 0) this.queue.splice(i, 1);
            entry.cancel();
          })
        : undefined;
      this.queue.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.queue.shift();
      if (next) next.grant();
    };
  }
}

/**
 * A token bucket: holds up to `capacity`, refills at `perMinute / 60000` per ms. A cost larger than
 * the capacity is let through once the bucket is full and leaves it in debt, so the long-run rate
 * holds for any request size. The level may go negative (debt) and is refunded when actual usage
 * turns out below the estimate.
 */
export class TokenBucket {
  readonly capacity: number;
  private readonly perMs: number;
  private level: number;
  private last: number;

  /** Burst = one second's worth (at least 1): providers enforce per-minute limits on shorter windows. */
  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(perMinute > 0)) throw new RangeError(`rate limit must be positive, got ${perMinute}`);
    this.capacity = Math.max(1, perMinute / 60);
    this.perMs = perMinute / 60_000;
    this.level = this.capacity;
    this.last = now();
  }

  /** Milliseconds until `cost` may be taken (0: now). */
  waitFor(cost: number): number {
    this.refill();
    const need = Math.min(cost, this.capacity);
    return this.level >= need ? 0 : Math.ceil((need - this.level) / this.perMs);
  }

  take(cost: number): void {
    this.refill();
    this.level -= cost;
  }

  /** Give back (positive) or charge more (negative) once the real cost is known. */
  adjust(delta: number): void {
    this.refill();
    this.level = Math.min(this.capacity, this.level + delta);
  }

  get available(): number {
    this.refill();
    return this.level;
  }

  private refill(): void {
    const t = this.now();
    this.level = Math.min(this.capacity, this.level + (t - this.last) * this.perMs);
    this.last = t;
  }
}

/**
 * Requests-per-minute and tokens-per-minute limits in front of a server, plus a shared pause (a 429
 * with Retry-After stops every sender, not only the one that got it). FIFO: a big request at the
 * head is not starved by small ones behind it.
 */
export class RateLimiter {
  private readonly rpm?: TokenBucket;
  private readonly tpm?: TokenBucket;
  private pausedUntil = 0;
  private readonly queue: { cost: number; resolve: () => void; unsubscribe?: () => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;

  constructor(opts: { requestsPerMinute?: number; tokensPerMinute?: number; now?: () => number }) {
    this.now = opts.now ?? Date.now;
    if (opts.requestsPerMinute) this.rpm = new TokenBucket(opts.requestsPerMinute, this.now);
    if (opts.tokensPerMinute) this.tpm = new TokenBucket(opts.tokensPerMinute, this.now);
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Waits until one request costing `tokens` (estimated) may be sent, then takes it. */
  acquire(tokens: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (!this.rpm && !this.tpm && this.pausedUntil <= this.now()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const entry: RateLimiter['queue'][number] = { cost: tokens, resolve };
      if (signal) {
        entry.unsubscribe = onAbort(signal, () => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(abortError());
          this.pump();
        });
      }
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Correct the tokens bucket once usage is known: estimate − actual goes back (or is charged). */
  settle(estimatedTokens: number, actualTokens: number): void {
    if (this.tpm && estimatedTokens !== actualTokens) this.tpm.adjust(estimatedTokens - actualTokens);
    this.pump();
  }

  /** Nobody sends before now + ms. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.pump();
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length) {
      const head = this.queue[0];
      const wait = Math.max(this.pausedUntil - this.now(), this.rpm?.waitFor(1) ?? 0, this.tpm?.waitFor(head.cost) ?? 0);
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      this.rpm?.take(1);
      this.tpm?.take(head.cost);
      head.unsubscribe?.();
      head.resolve();
    }
  }
}
