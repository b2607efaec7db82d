import { In, type EntityManager } from 'typeorm';
import { isUuid } from '@retort/contracts';
import { Adapter, AdapterVersion } from '../entities';
import { NamedRepository } from './named.repository';
import { findPage, type Page } from './page';

/** A trained adapter's files in the store, about to become the next version of the adapter. */
export type NewAdapterVersion = Pick<AdapterVersion, 'artifactPrefix' | 'sha256' | 'config' | 'metrics' | 'lineage' | 'runId'>;

/** Adapters and their immutable versions. */
export class AdapterRepository extends NamedRepository<Adapter> {
  constructor(m: EntityManager) {
    super(m, Adapter);
  }

  private get versions() {
    return this.m.getRepository(AdapterVersion);
  }

  list(filter: { ids?: string[]; name?: string }, page: Page): Promise<[Adapter[], number]> {
    const where: Record<string, unknown> = {};
    if (filter.ids) where.id = In(filter.ids);
    if (filter.name !== undefined) where.name = filter.name;
    return findPage(this.repo, where, page);
  }

  findVersionById(id: string): Promise<AdapterVersion | null> {
    return isUuid(id) ? this.versions.findOneBy({ id }) : Promise.resolve(null);
  }

  findVersionsByIds(ids: string[]): Promise<AdapterVersion[]> {
    return ids.length ? this.versions.findBy({ id: In(ids) }) : Promise.resolve([]);
  }

  findVersion(adapterId: string, version: number): Promise<AdapterVersion | null> {
    return this.versions.findOneBy({ adapterId, version });
  }

  latestVersion(adapterId: string): Promise<AdapterVersion | null> {
    return this.versions.findOne({ where: { adapterId }, order: { version: 'DESC' } });
  }

  /** Newest first. */
  versionsOf(adapterId: string): Promise<AdapterVersion[]> {
    return this.versions.find({ where: { adapterId }, order: { version: 'DESC' } });
  }

  /**
   * The training run's version of the named adapter (created with the adapter if need be): the
   * one it registered before, if any, or the next number, in one transaction that holds the
   * adapter's row so that concurrent runs get distinct numbers.
   */
  registerVersion(adapter: { name: string; baseModelId: string }, draft: NewAdapterVersion & { runId: string }): Promise<AdapterVersion> {
    return this.m.transaction(async (m) => {
      const versions = m.getRepository(AdapterVersion);
      const existing = await versions.findOneBy({ runId: draft.runId });
      if (existing) return existing;
      await m.getRepository(Adapter).createQueryBuilder().insert().values({ name: adapter.name, baseModelId: adapter.baseModelId }).orIgnore().execute();
      const row = await m.getRepository(Adapter).createQueryBuilder('a').setLock('pessimistic_write').where('a.name = :name', { name: adapter.name }).getOneOrFail();
      const { max } = await versions.createQueryBuilder('v').select('MAX(v.version)', 'max').where('v.adapter_id = :id', { id: row.id }).getRawOne();
      return versions.save(versions.create({ ...draft, adapterId: row.id, version: (max ?? 0) + 1 }));
    });
  }

  /** Adds (or replaces) the `evaluation` entry of a version's metrics. */
  async setEvaluation(versionId: string, evaluation: Record<string, unknown>): Promise<void> {
    await this.m.query(`UPDATE adapter_version SET metrics = metrics || jsonb_build_object('evaluation', $2::jsonb) WHERE id = $1`, [versionId, JSON.stringify(evaluation)]);
  }

  async setGate(versionId: string, gate: object): Promise<void> {
    await this.m.query(`UPDATE adapter_version SET gate = $2 WHERE id = $1`, [versionId, JSON.stringify(gate)]);
  }
}
