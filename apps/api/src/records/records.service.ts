import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RecordFilterSchema, type BulkRecordsDto, type RecordFilter, type SplitDto, type UpdateRecordDto } from '@retort/contracts';
import { contentHash, splitRecords } from '@retort/datasets';
import { DatasetRecord } from '@retort/db';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import type { ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { DatasetsService } from '../datasets/datasets.service';
import { applyRecordFilter } from './record-filter';

@Injectable()
export class RecordsService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
  ) {}

  private repo() {
    return this.ds.getRepository(DatasetRecord);
  }

  async list(versionId: string, q: ListQuery): Promise<[DatasetRecord[], number]> {
    await this.datasets.getReadyVersion(versionId, 'its records are available once it is ready');
    const filter = this.filter(q.filter);
    const qb = applyRecordFilter(this.repo().createQueryBuilder('r'), versionId, filter)
      .orderBy(`r.${q.sort.field === 'tokenCount' ? 'token_count' : q.sort.field}`, q.sort.order)
      .addOrderBy('r.idx', 'ASC')
      .skip(q.skip)
      .take(q.take);
    return qb.getManyAndCount();
  }

  async get(id: string): Promise<DatasetRecord> {
    const row = /^\d+$/.test(id) ? await this.repo().findOneBy({ id }) : null;
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
    return this.ds.transaction(async (m) => {
      const saved = await m.getRepository(DatasetRecord).save(row);
      await this.audit.record(who, 'record.update', { type: 'dataset_version', id: row.versionId }, { record: id, ...dto }, m);
      return saved;
    });
  }

  /** Accept, reject or tag every record matching a filter, in one statement. */
  async bulk(versionId: string, dto: BulkRecordsDto, who: Principal): Promise<{ updated: number }> {
    await this.datasets.getReadyVersion(versionId, 'its records are available once it is ready');
    return this.ds.transaction(async (m) => {
      const ids = applyRecordFilter(m.getRepository(DatasetRecord).createQueryBuilder('r'), versionId, dto.filter).select('r.id');
      const sets: string[] = [];
      const params: unknown[] = [];
      if (dto.status) {
        params.push(dto.status);
        sets.push(`status = $${params.length}`);
      }
      let tagsExpr = 'tags';
      if (dto.removeTags?.length) {
        params.push(dto.removeTags);
        tagsExpr = `ARRAY(SELECT t FROM unnest(${tagsExpr}) t WHERE t <> ALL($${params.length}::text[]))`;
      }
      if (dto.addTags?.length) {
        params.push(dto.addTags);
        tagsExpr = `ARRAY(SELECT DISTINCT t FROM unnest(${tagsExpr} || $${params.length}::text[]) t ORDER BY t)`;
      }
      if (tagsExpr !== 'tags') sets.push(`tags = ${tagsExpr}`);
      const [sql, subParams] = ids.getQueryAndParameters();
      const offset = params.length;
      const renumbered = sql.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + offset}`);
      const result = await m.query(`UPDATE record SET ${sets.join(', ')} WHERE id IN (${renumbered})`, [...params, ...subParams]);
      const updated = Number(result?.[1] ?? 0);
      await this.audit.record(who, 'record.bulk', { type: 'dataset_version', id: versionId }, { ...dto, updated }, m);
      return { updated };
    });
  }

  /** Tags every record split:train or split:eval, seeded and deterministic (stratified by first tag on request). */
  async split(versionId: string, dto: SplitDto, who: Principal): Promise<{ train: number; eval: number }> {
    await this.datasets.getReadyVersion(versionId, 'its records are available once it is ready');
    return this.ds.transaction(async (m) => {
      const rows: { id: string; tags: string[] }[] = await m.query(
        `SELECT id::text AS id, ARRAY(SELECT t FROM unnest(tags) t WHERE t NOT LIKE 'split:%') AS tags FROM record WHERE version_id = $1 AND status <> 'rejected' ORDER BY idx`,
        [versionId],
      );
      const { train, eval: evalSet } = splitRecords(rows, { evalFraction: dto.evalFraction, seed: dto.seed, stratifyBy: dto.stratifyBy });
      await m.query(`UPDATE record SET tags = ARRAY(SELECT t FROM unnest(tags) t WHERE t NOT LIKE 'split:%') WHERE version_id = $1`, [versionId]);
      for (const [name, part] of [['split:train', train], ['split:eval', evalSet]] as const) {
        if (part.length) await m.query(`UPDATE record SET tags = tags || $1::text WHERE id = ANY($2::bigint[])`, [name, part.map((r) => r.id)]);
      }
      await this.audit.record(who, 'record.split', { type: 'dataset_version', id: versionId }, { ...dto, train: train.length, eval: evalSet.length }, m);
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
