import type { Response } from 'express';
import { z } from 'zod';
import { isUuid, uuidString } from '@retort/contracts';
import { ProblemException } from './problem';

/** react-admin simple-rest list parameters: sort=["f","ASC"]&range=[0,24]&filter={...}. */
export interface ListQuery {
  sort: { field: string; order: 'ASC' | 'DESC' };
  skip: number;
  take: number;
  filter: Record<string, unknown>;
}

const json = <T extends z.ZodType>(schema: T, name: string) =>
  z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${name} must be JSON` });
      return z.NEVER;
    }
  }).pipe(schema);

const QuerySchema = z.object({
  sort: json(z.tuple([z.string(), z.enum(['ASC', 'DESC', 'asc', 'desc'])]), 'sort').optional(),
  range: json(z.tuple([z.number().int().min(0), z.number().int().min(0)]).refine(([a, b]) => b >= a, 'range end must be ≥ start'), 'range').optional(),
  filter: json(z.record(z.string(), z.unknown()), 'filter').optional(),
});

export const MAX_PAGE = 1000;

/** The filter fields a list takes and their types; any other field is refused, naming it. */
export type ListFilters = z.ZodRawShape;

/** Filter fields most lists share: react-admin's getMany (`id: [...]`), a uuid reference, a text. */
export const ID_LIST = z.array(z.unknown()).optional();
export const UUID_FILTER = uuidString.optional();
export const TEXT_FILTER = z.string().max(1000).optional();

export function parseListQuery(query: unknown, sortable: readonly string[], defaultSort: ListQuery['sort'], filters: ListFilters = { id: ID_LIST }): ListQuery {
  const parsed = QuerySchema.safeParse(query);
  if (!parsed.success) {
    throw new ProblemException(400, 'invalid-list-query', 'invalid list parameters', {
      errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const { sort, range, filter } = parsed.data;
  if (sort && !sortable.includes(sort[0])) {
    throw new ProblemException(400, 'invalid-list-query', `cannot sort by "${sort[0]}"; sortable: ${sortable.join(', ')}`, {
      errors: [{ path: 'sort', message: `unknown field ${sort[0]}` }],
    });
  }
  const checked = z.strictObject(filters).safeParse(filter ?? {});
  if (!checked.success) {
    throw new ProblemException(400, 'invalid-list-query', `invalid filter; this list filters by ${Object.keys(filters).join(', ')}`, {
      errors: checked.error.issues.map((i) => ({ path: ['filter', ...i.path, ...((i as { keys?: string[] }).keys ?? [])].join('.'), message: i.message })),
    });
  }
  const [start, end] = range ?? [0, 24];
  return {
    sort: sort ? { field: sort[0], order: sort[1].toUpperCase() as 'ASC' | 'DESC' } : defaultSort,
    skip: start,
    take: Math.min(end - start + 1, MAX_PAGE),
    filter: filter ?? {},
  };
}

/** Sets Content-Range (e.g. "datasets 0-24/100") as react-admin's simple-rest provider expects. */
export function sendPage<T>(res: Response, resource: string, q: ListQuery, items: T[], total: number): T[] {
  const end = items.length ? q.skip + items.length - 1 : q.skip;
  res.setHeader('Content-Range', `${resource} ${q.skip}-${end}/${total}`);
  return items;
}

/** The ids of a `filter={"id": [...]}` (react-admin's getMany); values that are not ids match nothing. */
export function filterIds(q: ListQuery): string[] {
  return (q.filter.id as unknown[]).filter((v): v is string => typeof v === 'string' && isUuid(v));
}

/** The ids of a getMany filter (see filterIds), or undefined when the list is not filtered by id. */
export function idFilter(q: ListQuery): string[] | undefined {
  return Array.isArray(q.filter.id) ? filterIds(q) : undefined;
}

/** A filter value that must be a string to count; anything else is ignored. */
export function textFilter(q: ListQuery, key: string): string | undefined {
  const value = q.filter[key];
  return typeof value === 'string' ? value : undefined;
}
