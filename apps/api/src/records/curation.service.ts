import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { JobName, jobId, QueueName, type AnalyzeDto, type CommitCurationDto } from '@retort/contracts';
import { canonicalLine, type ChatRecord } from '@retort/datasets';
import { AuditLog, DatasetVersion } from '@retort/db';
import type { ArtifactStore } from '@retort/storage';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { ProblemException } from '../common/problem';
import { DatasetsService } from '../datasets/datasets.service';
import { ARTIFACT_STORE } from '../infra/tokens';

const PAGE = 2000;

@Injectable()
export class CurationService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @InjectQueue(QueueName.datasets) private readonly queue: Queue,
  ) {}

  /** Queues dedup and/or PII scrubbing on the worker; the results land in the version's analysis. */
  async analyze(versionId: string, dto: AnalyzeDto, who: Principal): Promise<{ requestId: string; analysis: Record<string, unknown> }> {
    const version = await this.datasets.getReadyVersion(versionId, 'wait until it is ready');
    const requestId = randomUUID();
    const payload = { versionId, requestId, ...(dto.dedup ? { dedup: { threshold: dto.dedup.threshold } } : {}), ...(dto.pii ? { pii: true } : {}) };
    const queued = { status: 'queued', requestId };
    const analysis: Record<string, any> = { ...version.analysis, ...(dto.dedup ? { dedup: queued } : {}), ...(dto.pii ? { pii: queued } : {}) };
    await this.ds.query('UPDATE dataset_version SET analysis = $2 WHERE id = $1', [versionId, JSON.stringify(analysis)]);
    await this.queue.add(JobName.datasetAnalyze, payload, { jobId: jobId(JobName.datasetAnalyze, payload), attempts: 2, removeOnComplete: 1000, removeOnFail: 1000 });
    await this.audit.record(who, 'dataset.analyze', { type: 'dataset_version', id: versionId }, { ...dto, requestId });
    return { requestId, analysis };
  }

  /** Rejects every member of the stored duplicate clusters but the first (the representative). */
  async rejectDuplicates(versionId: string, kind: 'exact' | 'near', who: Principal): Promise<{ updated: number }> {
    const version = await this.datasets.getReadyVersion(versionId, 'wait until it is ready');
    const dedup = version.analysis?.dedup;
    if (dedup?.status !== 'done') throw new ProblemException(409, 'no-dedup-analysis', `run a dedup analysis on version ${versionId} first`);
    const ids = (dedup[kind].listed as string[][]).flatMap((cluster) => cluster.slice(1));
    if (!ids.length) return { updated: 0 };
    const result = await this.ds.query(`UPDATE record SET status = 'rejected' WHERE version_id = $1 AND id = ANY($2::bigint[]) AND status <> 'rejected'`, [versionId, ids]);
    const updated = Number(result?.[1] ?? 0);
    await this.audit.record(who, 'record.reject-duplicates', { type: 'dataset_version', id: versionId }, { kind, threshold: dedup.threshold, updated });
    return { updated };
  }

  /**
   * Commits the curation of a version as the next version of its dataset: the records kept
   * (status, tag), with their edits, streamed to a new artifact. Lineage names the source version
   * and the curation actions recorded against it.
   */
  async commit(datasetId: string, dto: CommitCurationDto, who: Principal): Promise<DatasetVersion> {
    const from = await this.datasets.getReadyVersion(dto.from, 'wait until it is ready');
    if (from.datasetId !== datasetId) throw new ProblemException(400, 'validation', `version ${dto.from} belongs to another dataset`, { errors: [{ path: 'from', message: 'belongs to another dataset' }] });
    const statuses = dto.include === 'accepted' ? ['accepted'] : ['pending', 'accepted'];
    const source = Readable.from(this.keptLines(from.id, statuses, dto.tag));
    const ops = await this.ds.getRepository(AuditLog).find({ where: { targetType: 'dataset_version', targetId: from.id }, order: { id: 'ASC' } });
    return this.datasets.createVersion(datasetId, source, who, {
      source: 'curation',
      from: from.id,
      ops: [
        ...ops.map((o) => ({ action: o.action, by: o.actor, at: o.at, ...o.data })),
        { action: 'commit', include: dto.include, ...(dto.tag ? { tag: dto.tag } : {}) },
      ],
    });
  }

  private async *keptLines(versionId: string, statuses: string[], tag?: string): AsyncGenerator<string> {
    let after = -1;
    for (;;) {
      const rows: { idx: number; messages: ChatRecord['messages']; meta: Record<string, unknown>; tags: string[] }[] = await this.ds.query(
        `SELECT idx, messages, meta, tags FROM record
         WHERE version_id = $1 AND idx > $2 AND status = ANY($3::text[]) AND ($4::text IS NULL OR $4 = ANY(tags))
         ORDER BY idx LIMIT $5`,
        [versionId, after, statuses, tag ?? null, PAGE],
      );
      if (!rows.length) return;
      after = rows[rows.length - 1].idx;
      for (const r of rows) {
        const record: ChatRecord = { messages: r.messages };
        if (r.tags.length) record.tags = r.tags;
        if (Object.keys(r.meta).length) record.meta = r.meta;
        yield canonicalLine(record);
      }
    }
  }
}
