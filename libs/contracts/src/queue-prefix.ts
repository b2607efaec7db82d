/**
 * The BullMQ key prefix when RETORT_QUEUE_PREFIX is unset. An installation on its own embedded
 * Postgres (no DATABASE_URL) is the only one that can run its jobs, so its prefix comes from its
 * home: two `retort up` on one Redis keep their queues apart. Processes that share a database
 * (compose, Kubernetes, several hosts) share the plain `retort`, whatever their homes.
 */
export function defaultQueuePrefix(home: string, databaseUrl: string | undefined): string {
  return databaseUrl ? 'retort' : `retort-${fnv1a32(home)}`;
}

/** FNV-1a over the UTF-16 code units, as 8 hex digits: short, stable, no node:crypto (the browser bundle imports this lib). */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
