import { In, type EntityManager } from 'typeorm';
import { isUuid, type DatasetVersionStats } from '@retort/contracts';
import { DatasetVersion, type DatasetLineage } from '../entities';
import { AuditLogRepository } from './audit-log.repository';
import { DatasetRepository } from './dataset.repository';
import { findPage, type Page } from './page';

/** A validated artifact in the store, about to become the next version of its data set. */
export interface NewDatasetVersion {
  datasetId: string;
  artifactKey: string;
  size: number;
  sha256: string;
  records: number;
  lineage: DatasetLineage;
  format: string | null;
  purpose: 'train' | 'prompts' | null;
  tokenizerModelId: string | null;
}

export interface DatasetVersionFilter {
  ids?: string[];
  datasetId?: string;
  status?: string;
}

export class DatasetVersionRepository {
  constructor(private readonly m: EntityManager) {}

  private get repo() {
    return this.m.getRepository(DatasetVersion);
  }

  /**
   * Numbers and inserts the version (status processing) and its audit row in one transaction,
   * holding the data set's row so that concurrent versions get distinct numbers.
   */
  createNext(draft: NewDatasetVersion, actor: { name: string; tokenId: string | null }): Promise<DatasetVersion> {
    return this.m.transaction(async (m) => {
      await new DatasetRepository(m).lock(draft.datasetId);
      const versions = m.getRepository(DatasetVersion);
      const { max } = await versions.createQueryBuilder('v').select('MAX(v.version)', 'max').where('v.dataset_id = :datasetId', { datasetId: draft.datasetId }).getRawOne();
      const saved = await versions.save(versions.create({ ...draft, version: (max ?? 0) + 1, status: 'processing', stats: null, analysis: {}, error: null, readyAt: null }));
      await new AuditLogRepository(m).record({
        actor,
        action: 'dataset.version.create',
        target: { type: 'dataset_version', id: saved.id },
        data: { datasetId: draft.datasetId, version: saved.version, sha256: saved.sha256, source: draft.lineage.source },
      });
      return saved;
    });
  }

  findById(id: string): Promise<DatasetVersion | null> {
    return isUuid(id) ? this.repo.findOneBy({ id }) : Promise.resolve(null);
  }

  /** The versions among these ids; strings that are not uuids match nothing. */
  findByIds(ids: string[]): Promise<DatasetVersion[]> {
    const valid = ids.filter(isUuid);
    return valid.length ? this.repo.findBy({ id: In(valid) }) : Promise.resolve([]);
  }

  /** Newest first. */
  ofDataset(datasetId: string): Promise<DatasetVersion[]> {
    return this.repo.find({ where: { datasetId }, order: { version: 'DESC' } });
  }

  latestReady(datasetId: string): Promise<DatasetVersion | null> {
    return this.repo.findOne({ where: { datasetId, status: 'ready' }, order: { version: 'DESC' } });
  }

  /** The newest version of each of these data sets, by data set id. */
  async latestOf(datasetIds: string[]): Promise<Map<string, DatasetVersion>> {
    if (datasetIds.length === 0) return new Map();
    const rows = await this.repo
      .createQueryBuilder('v')
      .distinctOn(['v.dataset_id'])
      .where('v.dataset_id IN (:...ids)', { ids: datasetIds })
      .orderBy('v.dataset_id')
      .addOrderBy('v.version', 'DESC')
      .getMany();
    return new Map(rows.map((v) => [v.datasetId, v]));
  }

  /** The version a generation run produced, if it got that far. */
  async ofGenerationRun(runId: string): Promise<DatasetVersion | null> {
    return this.repo.createQueryBuilder('v').where(`v.lineage->>'runId' = :runId`, { runId }).getOne();
  }

  list(filter: DatasetVersionFilter, page: Page): Promise<[DatasetVersion[], number]> {
    const where: Record<string, unknown> = {};
    if (filter.datasetId !== undefined) where.datasetId = filter.datasetId;
    if (filter.status !== undefined) where.status = filter.status;
    if (filter.ids) where.id = In(filter.ids);
    return findPage(this.repo, where, page);
  }

  /** Replaces the whole analysis document. */
  async setAnalysis(id: string, analysis: Record<string, unknown>): Promise<void> {
    await this.m.query('UPDATE dataset_version SET analysis = $2 WHERE id = $1', [id, JSON.stringify(analysis)]);
  }

  /** Sets one key of the analysis document, leaving the others as they are. */
  async setAnalysisEntry(id: string, key: string, value: unknown): Promise<void> {
    await this.m.query(`UPDATE dataset_version SET analysis = jsonb_set(analysis, $2, $3::jsonb, true) WHERE id = $1`, [id, `{${key}}`, JSON.stringify(value)]);
  }

  /** processing → ready, with the counts of its import; a version no longer processing is left alone. */
  async markReady(id: string, result: { stats: DatasetVersionStats; records: number }): Promise<void> {
    await this.repo.update({ id, status: 'processing' }, { status: 'ready', stats: result.stats, records: result.records, readyAt: new Date(), error: null });
  }

  /** processing → failed; a version no longer processing is left alone. */
  async markFailed(id: string, error: string): Promise<void> {
    await this.repo.update({ id, status: 'processing' }, { status: 'failed', error });
  }
}
