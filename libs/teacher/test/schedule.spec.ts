import { backoffDelay, parseRetryAfter, RateLimiter, seededRandom, Semaphore, sleep, TeacherError, TokenBucket } from '../src';

const headers = (h: Record<string, string>) => new Headers(h);

describe('parseRetryAfter', () => {
  it('reads delta-seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:07 GMT' }), now)).toBe(7000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const backoff = { baseMs: 100, maxMs: 1000 };

  it('doubles per retry, capped, with jitter between half and all of it', () => {
    expect(backoffDelay(1, backoff, () => 0)).toBe(50);
    expect(backoffDelay(1, backoff, () => 0.999999)).toBeCloseTo(100, 3);
    expect(backoffDelay(3, backoff, () => 0)).toBe(200);
    expect(backoffDelay(10, backoff, () => 0.5)).toBe(750);
  });

  it('is reproducible with a seeded generator', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 5 }, (_, i) => backoffDelay(i + 1, backoff, a));
    expect(xs).toEqual(Array.from({ length: 5 }, (_, i) => backoffDelay(i + 1, backoff, b)));
    expect(new Set(xs).size).toBe(5);
  });
});

describe('TokenBucket', () => {
  it('bursts one second of the limit, refills linearly, and lets an oversized cost through into debt', () => {
    let t = 0;
    const bucket = new TokenBucket(6000, () => t); // 100/s, capacity 100
    expect(bucket.capacity).toBe(100);
    expect(bucket.waitFor(100)).toBe(0);
    bucket.take(250); // more than the capacity: allowed when full, leaves -150
    expect(bucket.waitFor(10)).toBe(1600); // back to +10 takes 160 tokens at 0.1/ms
    t = 1600;
    expect(bucket.waitFor(10)).toBe(0);
    bucket.adjust(1000); // refunds never exceed the capacity
    expect(bucket.available).toBe(100);
  });
});

describe('RateLimiter', () => {
  afterEach(() => jest.useRealTimers());

  it('spaces requests at the requests-per-minute rate after the burst, in FIFO order', async () => {
    jest.useFakeTimers({ now: 0 });
    const limiter = new RateLimiter({ requestsPerMinute: 60 }); // 1/s, burst 1
    const times: number[] = [];
    const all = [0, 1, 2].map((i) => limiter.acquire(0).then(() => (times[i] = Date.now())));
    await jest.advanceTimersByTimeAsync(5000);
    await Promise.all(all);
    expect(times).toEqual([0, 1000, 2000]);
  });

  it('charges tokens per minute by estimate and corrects with the real usage', async () => {
    jest.useFakeTimers({ now: 0 });
    const limiter = new RateLimiter({ tokensPerMinute: 60_000 }); // 1000/s, burst 1000
    await limiter.acquire(1000);
    let second = -1;
    void limiter.acquire(500).then(() => (second = Date.now()));
    await jest.advanceTimersByTimeAsync(100);
    expect(second).toBe(-1);
    limiter.settle(1000, 600); // the first request used 600: 400 come back, 100 refilled → 500
    await jest.advanceTimersByTimeAsync(0);
    expect(second).toBe(100);
  });

  it('pause() holds every sender, and an aborted waiter leaves the queue', async () => {
    jest.useFakeTimers({ now: 0 });
    const limiter = new RateLimiter({ requestsPerMinute: 600_000 });
    limiter.pause(2000);
    const ac = new AbortController();
    const aborted = limiter.acquire(1, ac.signal);
    let at = -1;
    void limiter.acquire(1).then(() => (at = Date.now()));
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ kind: 'aborted' });
    expect(limiter.waiting).toBe(1);
    await jest.advanceTimersByTimeAsync(2500);
    expect(at).toBe(2000);
  });
});

describe('Semaphore and sleep', () => {
  it('grants in FIFO order and an aborted waiter gives up its place', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const ac = new AbortController();
    const order: string[] = [];
    const a = sem.acquire(ac.signal).then(() => order.push('a'));
    const b = sem.acquire().then((r) => (order.push('b'), r));
    ac.abort();
    await expect(a).rejects.toBeInstanceOf(TeacherError);
    release();
    (await b)();
    expect(order).toEqual(['b']);
    expect(sem.inUse).toBe(0);
  });

  it('sleep rejects at once when aborted', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = sleep(10_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ kind: 'aborted' });
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
