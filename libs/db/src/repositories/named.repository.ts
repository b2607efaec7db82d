import type { EntityManager, EntityTarget, FindOptionsWhere } from 'typeorm';
import { isUuid } from '@retort/contracts';

/** A reference that is an id or a unique name, as a where clause. */
function byIdOrName(ref: string): { id: string } | { name: string } {
  return isUuid(ref) ? { id: ref } : { name: ref };
}

/** Lookups shared by every entity with a unique name (data sets, models, adapters, endpoints, schedules). */
export abstract class NamedRepository<T extends { id: string; name: string }> {
  constructor(
    protected readonly m: EntityManager,
    private readonly entity: EntityTarget<T>,
  ) {}

  protected get repo() {
    return this.m.getRepository(this.entity);
  }

  /** Null for a string that is not a uuid (Postgres would refuse it). */
  async findById(id: string): Promise<T | null> {
    if (!isUuid(id)) return null;
    return this.repo.findOneBy({ id } as FindOptionsWhere<T>);
  }

  findByName(name: string): Promise<T | null> {
    return this.repo.findOneBy({ name } as FindOptionsWhere<T>);
  }

  /** By id or name. */
  findByRef(ref: string): Promise<T | null> {
    return this.repo.findOneBy(byIdOrName(ref) as FindOptionsWhere<T>);
  }
}
