import type { EntityManager } from 'typeorm';
import { isBigintId, type RecordFilter } from '@retort/contracts';
import { DatasetRecord, type RecordStatus } from '../entities';
import type { Page } from './page';
import { applyRecordFilter } from './record-filter';

/** A record as the curation jobs and commits read it, page by page. */
export interface RecordRow {
  id: string;
  idx: number;
  messages: DatasetRecord['messages'];
  meta: Record<string, unknown>;
  tags: string[];
}

/** A record materialised from a version's artifact by its import. */
export interface ImportedRecord {
  idx: number;
  messages: unknown;
  meta: unknown;
  tags: string[];
  hash: string;
  chars: number;
  tokens: number | null;
}

export interface BulkChange {
  status?: RecordStatus;
  addTags?: string[];
  removeTags?: string[];
}

/** The tag prefix of a version's train/eval split. */
const SPLIT_TAG = 'split:%';

export class DatasetRecordRepository {
  constructor(private readonly m: EntityManager) {}

  private get repo() {
    return this.m.getRepository(DatasetRecord);
  }

  /** Record ids are bigints: anything else names no record. */
  findById(id: string): Promise<DatasetRecord | null> {
    return isBigintId(id) ? this.repo.findOneBy({ id }) : Promise.resolve(null);
  }

  /** A version's records matching the filter, in the page's order and then by position. */
  list(versionId: string, filter: RecordFilter, page: Page): Promise<[DatasetRecord[], number]> {
    const column = page.sort.field === 'tokenCount' ? 'token_count' : page.sort.field;
    return applyRecordFilter(this.repo.createQueryBuilder('r'), versionId, filter).orderBy(`r.${column}`, page.sort.order).addOrderBy('r.idx', 'ASC').skip(page.skip).take(page.take).getManyAndCount();
  }

  save(record: DatasetRecord): Promise<DatasetRecord> {
    return this.repo.save(record);
  }

  /** Sets the status and/or adds and removes tags of every record of the version matching the filter, in one statement. */
  async updateMatching(versionId: string, filter: RecordFilter, change: BulkChange): Promise<number> {
    const ids = applyRecordFilter(this.repo.createQueryBuilder('r'), versionId, filter).select('r.id');
    const sets: string[] = [];
    const params: unknown[] = [];
    if (change.status) {
      params.push(change.status);
      sets.push(`status = $${params.length}`);
    }
    let tagsExpr = 'tags';
    if (change.removeTags?.length) {
      params.push(change.removeTags);
      tagsExpr = `ARRAY(SELECT t FROM unnest(${tagsExpr}) t WHERE t <> ALL($${params.length}::text[]))`;
    }
    if (change.addTags?.length) {
      params.push(change.addTags);
      tagsExpr = `ARRAY(SELECT DISTINCT t FROM unnest(${tagsExpr} || $${params.length}::text[]) t ORDER BY t)`;
    }
    if (tagsExpr !== 'tags') sets.push(`tags = ${tagsExpr}`);
    const [sql, subParams] = ids.getQueryAndParameters();
    const offset = params.length;
    const renumbered = sql.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + offset}`);
    const result = await this.m.query(`UPDATE record SET ${sets.join(', ')} WHERE id IN (${renumbered})`, [...params, ...subParams]);
    return Number(result?.[1] ?? 0);
  }

  /** Rejects these records of the version; returns how many were not rejected already. */
  async reject(versionId: string, ids: string[]): Promise<number> {
    const result = await this.m.query(`UPDATE record SET status = 'rejected' WHERE version_id = $1 AND id = ANY($2::bigint[]) AND status <> 'rejected'`, [versionId, ids]);
    return Number(result?.[1] ?? 0);
  }

  /** The records a split divides (all but the rejected), in order, with their tags less any split tag. */
  splitCandidates(versionId: string): Promise<{ id: string; tags: string[] }[]> {
    return this.m.query(
      `SELECT id::text AS id, ARRAY(SELECT t FROM unnest(tags) t WHERE t NOT LIKE $2) AS tags FROM record WHERE version_id = $1 AND status <> 'rejected' ORDER BY idx`,
      [versionId, SPLIT_TAG],
    );
  }

  /** Replaces the version's split: no record keeps a split tag but those named here. */
  async setSplit(versionId: string, parts: { tag: string; ids: string[] }[]): Promise<void> {
    await this.m.query(`UPDATE record SET tags = ARRAY(SELECT t FROM unnest(tags) t WHERE t NOT LIKE $2) WHERE version_id = $1`, [versionId, SPLIT_TAG]);
    for (const part of parts) {
      if (part.ids.length) await this.m.query(`UPDATE record SET tags = tags || $1::text WHERE id = ANY($2::bigint[])`, [part.tag, part.ids]);
    }
  }

  /**
   * The version's records in position order, a page at a time (keyset pagination), optionally only
   * those with one of the statuses and the tag.
   */
  async *pages(versionId: string, opts: { pageSize: number; statuses?: RecordStatus[]; tag?: string }): AsyncGenerator<RecordRow[]> {
    let after = -1;
    for (;;) {
      const rows: RecordRow[] = await this.m.query(
        `SELECT id::text AS id, idx, messages, meta, tags FROM record
         WHERE version_id = $1 AND idx > $2 AND ($3::text[] IS NULL OR status = ANY($3::text[])) AND ($4::text IS NULL OR $4 = ANY(tags))
         ORDER BY idx LIMIT $5`,
        [versionId, after, opts.statuses ?? null, opts.tag ?? null, opts.pageSize],
      );
      if (!rows.length) return;
      after = rows[rows.length - 1].idx;
      yield rows;
    }
  }

  /** A record's text after PII scrubbing: marked edited. */
  async replaceMessages(id: string, change: { messages: DatasetRecord['messages']; contentHash: string; chars: number }): Promise<void> {
    await this.m.query(`UPDATE record SET messages = $2, content_hash = $3, chars = $4, edited = true WHERE id = $1`, [id, JSON.stringify(change.messages), change.contentHash, change.chars]);
  }

  /** Drops whatever an earlier attempt imported for the version (inside the import's transaction). */
  async deleteOfVersion(versionId: string): Promise<void> {
    await this.m.query('DELETE FROM record WHERE version_id = $1', [versionId]);
  }

  /** One round trip per batch: parallel arrays unnested into rows (works on Postgres and PGlite). */
  async insertImported(versionId: string, rows: ImportedRecord[]): Promise<void> {
    await this.m.query(
      `INSERT INTO record (version_id, idx, messages, meta, tags, content_hash, chars, token_count)
       SELECT $1, r.idx, r.messages, r.meta, ARRAY(SELECT jsonb_array_elements_text(r.tags)), r.hash, r.chars, r.tokens
       FROM unnest($2::int[], $3::jsonb[], $4::jsonb[], $5::jsonb[], $6::text[], $7::int[], $8::int[]) AS r(idx, messages, meta, tags, hash, chars, tokens)`,
      [
        versionId,
        rows.map((r) => r.idx),
        rows.map((r) => JSON.stringify(r.messages)),
        rows.map((r) => JSON.stringify(r.meta)),
        rows.map((r) => JSON.stringify(r.tags)),
        rows.map((r) => r.hash),
        rows.map((r) => r.chars),
        rows.map((r) => r.tokens),
      ],
    );
  }
}
