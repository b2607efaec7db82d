import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { RecordFilterSchema, type BulkRecordsDto, type RecordFilter, type SplitDto, type UpdateRecordDto } from '@retort/contracts';
import { contentHash, splitRecords } from '@retort/datasets';
import { Repositories, type DatasetRecord } from '@retort/db';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import type { ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { DatasetsService } from '../datasets/datasets.service';

@Injectable()
export class RecordsService {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
  ) {}

  async list(versionId: string, q: ListQuery): Promise<[DatasetRecord[], number]> {
    await this.datasets.getReadyVersion(versionId, 'its records are available once it is ready');
    return this.db.records.list(versionId, this.filter(q.filter), q);
  }

  async get(id: string): Promise<DatasetRecord> {
    const row = await this.db.records.findById(id);
    if (!row) throw new NotFoundException(`record ${id} does not exist`);
    return row;
  }

  async update(id: string, dto: UpdateRecordDto, who: Principal): Promise<DatasetRecord> {
    const row = await this.get(id);
    if (dto.status) row.status = dto.status;
    if (dto.tags) row.tags = [...new Set(dto.tags)];
    if (dto.messages) {
      row.messages = dto.messages;
      row.contentHash = contentHash({ messages: dto.messages });
      row.chars = dto.messages.reduce((n, m) => n + m.content.length, 0);
      row.edited = true;
    }
    return this.db.transaction(async (tx) => {
      const saved = await tx.records.save(row);
      await this.audit.record(who, 'record.update', { type: 'dataset_version', id: row.versionId }, { record: id, ...dto }, tx);
      return saved;
    });
  }

  /** Accept, reject or tag every record matching a filter, in one statement. */
  async bulk(versionId: string, dto: BulkRecordsDto, who: Principal): Promise<{ updated: number }> {
    await this.datasets.getReadyVersion(versionId, 'its records are available once it is ready');
    return this.db.transaction(async (tx) => {
      const updated = await tx.records.updateMatching(versionId, dto.filter, { status: dto.status, addTags: dto.addTags, removeTags: dto.removeTags });
      await this.audit.record(who, 'record.bulk', { type: 'dataset_version', id: versionId }, { ...dto, updated }, tx);
      return { updated };
    });
  }

  /** Tags every record split:train or split:eval, seeded and deterministic (stratified by first tag on request). */
  async split(versionId: string, dto: SplitDto, who: Principal): Promise<{ train: number; eval: number }> {
    await this.datasets.getReadyVersion(versionId, 'its records are available once it is ready');
    return this.db.transaction(async (tx) => {
      const rows = await tx.records.splitCandidates(versionId);
      const { train, eval: evalSet } = splitRecords(rows, { evalFraction: dto.evalFraction, seed: dto.seed, stratifyBy: dto.stratifyBy });
      await tx.records.setSplit(versionId, [
        { tag: 'split:train', ids: train.map((r) => r.id) },
        { tag: 'split:eval', ids: evalSet.map((r) => r.id) },
      ]);
      await this.audit.record(who, 'record.split', { type: 'dataset_version', id: versionId }, { ...dto, train: train.length, eval: evalSet.length }, tx);
      return { train: train.length, eval: evalSet.length };
    });
  }

  filter(raw: unknown): RecordFilter {
    const parsed = RecordFilterSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      throw new ProblemException(400, 'invalid-list-query', 'invalid record filter', {
        errors: parsed.error.issues.map((i) => ({ path: ['filter', ...i.path].join('.'), message: i.message })),
      });
    }
    return parsed.data;
  }
}
