import { Inject, Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { JobName, jobId, QueueName, type AnalyzeDto, type CommitCurationDto } from '@retort/contracts';
import { canonicalLine, type ChatRecord } from '@retort/datasets';
import { Repositories, type DatasetVersion, type RecordStatus } from '@retort/db';
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
    @Inject(Repositories) private readonly db: Repositories,
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
    await this.db.datasetVersions.setAnalysis(versionId, analysis);
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
    const updated = await this.db.records.reject(versionId, ids);
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
    const statuses: RecordStatus[] = dto.include === 'accepted' ? ['accepted'] : ['pending', 'accepted'];
    const source = Readable.from(this.keptLines(from.id, statuses, dto.tag));
    const ops = await this.db.audit.forTarget('dataset_version', from.id);
    return this.datasets.createVersion(datasetId, source, who, {
      source: 'curation',
      from: from.id,
      ops: [
        ...ops.map((o) => ({ action: o.action, by: o.actor, at: o.at, ...o.data })),
        { action: 'commit', include: dto.include, ...(dto.tag ? { tag: dto.tag } : {}) },
      ],
    });
  }

  private async *keptLines(versionId: string, statuses: RecordStatus[], tag?: string): AsyncGenerator<string> {
    for await (const rows of this.db.records.pages(versionId, { pageSize: PAGE, statuses, tag })) {
      for (const r of rows) {
        const record: ChatRecord = { messages: r.messages as ChatRecord['messages'] };
        if (r.tags.length) record.tags = r.tags;
        if (Object.keys(r.meta).length) record.meta = r.meta;
        yield canonicalLine(record);
      }
    }
  }
}
