import { In, type EntityManager } from 'typeorm';
import { BaseModel } from '../entities';
import { NamedRepository } from './named.repository';
import { findPage, type Page } from './page';

export class BaseModelRepository extends NamedRepository<BaseModel> {
  constructor(m: EntityManager) {
    super(m, BaseModel);
  }

  create(fields: Omit<BaseModel, 'id' | 'createdAt'>): Promise<BaseModel> {
    return this.repo.save(this.repo.create(fields));
  }

  /** Filtered by ids, or else by name. */
  list(filter: { ids?: string[]; name?: string }, page: Page): Promise<[BaseModel[], number]> {
    const where = filter.ids ? { id: In(filter.ids) } : filter.name !== undefined ? { name: filter.name } : {};
    return findPage(this.repo, where, page);
  }
}
