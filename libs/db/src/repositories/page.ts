import type { FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';

/** One page of a sorted list (the api's react-admin list parameters, already checked). */
export interface Page {
  sort: { field: string; order: 'ASC' | 'DESC' };
  skip: number;
  take: number;
}

export function findPage<T extends ObjectLiteral>(repo: Repository<T>, where: FindOptionsWhere<T> | Record<string, unknown>, page: Page): Promise<[T[], number]> {
  return repo.findAndCount({ where: where as FindOptionsWhere<T>, order: { [page.sort.field]: page.sort.order } as never, skip: page.skip, take: page.take });
}
