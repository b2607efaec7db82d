import type { DataSource } from 'typeorm';
import type { DatasetAnalyzePayload } from '@retort/contracts';
import { contentHash, exactDuplicateClusters, nearDuplicateClusters, scrubRecord, type ChatMessage, type CurationRecord } from '@retort/datasets';
import { Repositories } from '@retort/db';
import { ForeignJobError } from '../run-errors';

export interface DatasetAnalyzeDeps {
  ds: DataSource;
}

/** Clusters listed in the stored analysis; the counts always cover all of them. */
const MAX_LISTED_CLUSTERS = 2000;
const PAGE = 5000;

/**
 * Dedup (exact and MinHash near-duplicate clusters) and PII scrubbing over a version's records.
 * Both are safe to repeat: dedup recomputes from the records, and scrubbed text has nothing left
 * for the patterns to find.
 */
export async function processDatasetAnalyze(payload: DatasetAnalyzePayload, deps: DatasetAnalyzeDeps): Promise<Record<string, unknown>> {
  const db = Repositories.of(deps.ds);
  const version = await db.datasetVersions.findById(payload.versionId);
  if (!version) throw new ForeignJobError(`dataset version ${payload.versionId}`);
  if (version.status !== 'ready') throw new Error(`dataset version ${payload.versionId} is ${version.status}, not ready`);
  const result: Record<string, unknown> = {};

  if (payload.pii) {
    await db.datasetVersions.setAnalysisEntry(version.id, 'pii', { status: 'running', requestId: payload.requestId });
    const totals = { email: 0, phone: 0, card: 0 };
    let changed = 0;
    for await (const page of pages(db, version.id)) {
      for (const r of page) {
        const { record, counts } = scrubRecord(r);
        if (counts.email + counts.phone + counts.card === 0) continue;
        totals.email += counts.email;
        totals.phone += counts.phone;
        totals.card += counts.card;
        changed += 1;
        await db.records.replaceMessages(r.id, { messages: record.messages, contentHash: contentHash(record), chars: record.messages.reduce((n, m) => n + m.content.length, 0) });
      }
    }
    result.pii = { status: 'done', requestId: payload.requestId, counts: totals, recordsChanged: changed, at: new Date().toISOString() };
    await db.datasetVersions.setAnalysisEntry(version.id, 'pii', result.pii);
  }

  if (payload.dedup) {
    await db.datasetVersions.setAnalysisEntry(version.id, 'dedup', { status: 'running', requestId: payload.requestId });
    const all: CurationRecord[] = [];
    for await (const page of pages(db, version.id)) all.push(...page);
    const exact = exactDuplicateClusters(all);
    const near = nearDuplicateClusters(all, { threshold: payload.dedup.threshold });
    result.dedup = {
      status: 'done',
      requestId: payload.requestId,
      threshold: payload.dedup.threshold,
      exact: summarise(exact),
      near: summarise(near),
      at: new Date().toISOString(),
    };
    await db.datasetVersions.setAnalysisEntry(version.id, 'dedup', result.dedup);
  }
  return result;
}

export async function failDatasetAnalyze(payload: DatasetAnalyzePayload, deps: DatasetAnalyzeDeps, error: string): Promise<void> {
  for (const kind of ['pii', 'dedup'] as const) {
    if (kind === 'pii' ? payload.pii : payload.dedup) await Repositories.of(deps.ds).datasetVersions.setAnalysisEntry(payload.versionId, kind, { status: 'failed', requestId: payload.requestId, error });
  }
}

function summarise(clusters: string[][]) {
  return {
    clusters: clusters.length,
    duplicates: clusters.reduce((n, c) => n + c.length - 1, 0),
    listed: clusters.slice(0, MAX_LISTED_CLUSTERS),
  };
}

/** The version's records in idx order, a page at a time. */
async function* pages(db: Repositories, versionId: string): AsyncGenerator<(CurationRecord & { messages: ChatMessage[] })[]> {
  for await (const page of db.records.pages(versionId, { pageSize: PAGE })) yield page.map((r) => ({ id: r.id, messages: r.messages as ChatMessage[], tags: r.tags }));
}
