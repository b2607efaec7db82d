/**
 * Drives a generation run over prompt ids with bounded concurrency. The caller persists each result
 * in onResult (awaited before the prompt counts as done) and, on restart, passes the ids already
 * persisted as `skip`: with at-least-once job delivery this gives every prompt exactly one stored
 * answer. Nothing is called back after runPrompts settles.
 */
import { abortError, isAbortError } from './errors';
import type { TeacherClient, TeacherRequest, TeacherResult } from './types';

export interface PromptItem {
  id: string;
  request: TeacherRequest;
}

export interface RunPromptsOptions {
  /** Persist one prompt's result. A throw stops the run (after the requests in flight settle) and rejects it. */
  onResult: (id: string, result: TeacherResult) => void | Promise<void>;
  /**
   * Persist one prompt's failure (after the client's own retries). Without it, the first failure
   * stops the run the same way.
   */
  onError?: (id: string, error: Error) => void | Promise<void>;
  /** Ids already done: not requested, not called back. */
  skip?: ReadonlySet<string>;
  /** Prompts in progress at once; default the client's maxConcurrency. */
  concurrency?: number;
  /** Stops the run: no new prompts, requests in flight are cancelled, and the run rejects with an aborted TeacherError. */
  signal?: AbortSignal;
}

export interface RunPromptsSummary {
  completed: number;
  failed: number;
  skipped: number;
  /** Repeated ids in the input (each id is processed once). */
  duplicates: number;
}

export async function runPrompts(
  prompts: Iterable<PromptItem> | AsyncIterable<PromptItem>,
  client: Pick<TeacherClient, 'complete'> & { maxConcurrency?: number },
  options: RunPromptsOptions,
): Promise<RunPromptsSummary> {
  const concurrency = options.concurrency ?? client.maxConcurrency ?? 8;
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
  const signal = options.signal;
  const summary: RunPromptsSummary = { completed: 0, failed: 0, skipped: 0, duplicates: 0 };
  const seen = new Set<string>();
  const source: AsyncIterator<PromptItem> | Iterator<PromptItem> =
    Symbol.asyncIterator in prompts ? (prompts as AsyncIterable<PromptItem>)[Symbol.asyncIterator]() : (prompts as Iterable<PromptItem>)[Symbol.iterator]();
  let exhausted = false;
  let fatal: { error: unknown } | undefined;
  const stopped = () => exhausted || fatal !== undefined || signal?.aborted === true;

  // Pulls are serialised so an async source is never asked for two items at once.
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<PromptItem | undefined> => {
    const p = pulling.then(async () => {
      if (stopped()) return undefined;
      const r = await source.next();
      if (r.done) exhausted = true;
      return r.done ? undefined : r.value;
    });
    pulling = p.catch(() => undefined);
    return p;
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const item = await next();
      if (!item) return;
      if (options.skip?.has(item.id)) {
        summary.skipped++;
        continue;
      }
      if (seen.has(item.id)) {
        summary.duplicates++;
        continue;
      }
      seen.add(item.id);
      let result: TeacherResult;
      try {
        result = await client.complete(item.request, { signal });
      } catch (err) {
        if (signal?.aborted || isAbortError(err)) return;
        if (!options.onError) {
          fatal ??= { error: err };
          return;
        }
        try {
          await options.onError(item.id, err as Error);
          summary.failed++;
        } catch (persistErr) {
          fatal ??= { error: persistErr };
          return;
        }
        continue;
      }
      // A result that arrived is kept even if the run was aborted meanwhile: persisting it saves a request.
      try {
        await options.onResult(item.id, result);
        summary.completed++;
      } catch (persistErr) {
        fatal ??= { error: persistErr };
        return;
      }
    }
  };

  // allSettled, not all: every worker has finished (and called back) before the run settles.
  const ended = await Promise.allSettled(Array.from({ length: concurrency }, worker));
  for (const e of ended) if (e.status === 'rejected') fatal ??= { error: e.reason }; // the source itself threw
  if (!exhausted) await closeSource(source);
  if (fatal) throw fatal.error;
  if (signal?.aborted) throw abortError('generation run');
  return summary;
}

async function closeSource(source: AsyncIterator<PromptItem> | Iterator<PromptItem>): Promise<void> {
  try {
    await source.return?.();
  } catch {
    // the source's own cleanup failed; the run's outcome stands
  }
}
