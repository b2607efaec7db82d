import { ILike, In, type EntityManager } from 'typeorm';
import { Dataset } from '../entities';
import { NamedRepository } from './named.repository';
import { findPage, type Page } from './page';

export interface DatasetFilter {
  ids?: string[];
  name?: string;
  /** Case-insensitive substring of the name. */
  nameContains?: string;
}

export class DatasetRepository extends NamedRepository<Dataset> {
  constructor(m: EntityManager) {
    super(m, Dataset);
  }

  create(fields: { name: string; description?: string }): Promise<Dataset> {
    return this.repo.save(this.repo.create(fields));
  }

  /** The data set of that name, created (with the description) if there is none yet; safe against racing creators. */
  async ensure(name: string, description: string): Promise<Dataset> {
    await this.repo.createQueryBuilder().insert().values({ name, description }).orIgnore().execute();
    return this.repo.findOneByOrFail({ name });
  }

  list(filter: DatasetFilter, page: Page): Promise<[Dataset[], number]> {
    const where: Record<string, unknown> = {};
    if (filter.ids) where.id = In(filter.ids);
    if (filter.name !== undefined) where.name = filter.name;
    if (filter.nameContains) where.name = ILike(`%${filter.nameContains.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    return findPage(this.repo, where, page);
  }

  /** Inside a transaction: holds the data set's row until it commits (numbering its next version). */
  async lock(id: string): Promise<void> {
    await this.repo.createQueryBuilder().setLock('pessimistic_write').where('id = :id', { id }).getOneOrFail();
  }
}
