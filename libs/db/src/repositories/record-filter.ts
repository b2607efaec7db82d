import type { SelectQueryBuilder } from 'typeorm';
import type { RecordFilter } from '@retort/contracts';
import type { DatasetRecord } from '../entities';

/** Applies a record filter to a query over `record` aliased as "r" of one version. */
export function applyRecordFilter(qb: SelectQueryBuilder<DatasetRecord>, versionId: string, f: RecordFilter): SelectQueryBuilder<DatasetRecord> {
  qb.where('r.version_id = :versionId', { versionId });
  if (f.id?.length) qb.andWhere('r.id IN (:...ids)', { ids: f.id });
  if (f.status) qb.andWhere('r.status = :status', { status: f.status });
  if (f.tag) qb.andWhere(':tag = ANY(r.tags)', { tag: f.tag });
  if (f.q) qb.andWhere(`r.messages::text ILIKE :q ESCAPE '\\'`, { q: `%${f.q.replace(/[\\%_]/g, (c) => '\\' + c)}%` });
  if (f.minChars !== undefined) qb.andWhere('r.chars >= :minChars', { minChars: f.minChars });
  if (f.maxChars !== undefined) qb.andWhere('r.chars <= :maxChars', { maxChars: f.maxChars });
  if (f.edited !== undefined) qb.andWhere('r.edited = :edited', { edited: f.edited });
  return qb;
}
