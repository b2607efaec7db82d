/**
 * Curation functions take arrays or any iterable, and answer at once; or async iterables (e.g. a
 * stream of records), and answer with a promise.
 */
export type RecordSource<T> = Iterable<T> | AsyncIterable<T>;

export function withAll<T, R>(source: RecordSource<T>, fn: (all: T[]) => R): R | Promise<R> {
  if (Symbol.asyncIterator in source) return collect(source).then(fn);
  return fn(Array.isArray(source) ? source : [...source]);
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
