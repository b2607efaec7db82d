import { z } from 'zod';

/** The shape Postgres's uuid type accepts; a 36-character name of other hex and dashes is a name. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (ref: string): boolean => UUID_PATTERN.test(ref);

/** The largest bigserial id (2^63 - 1), as a decimal string. */
const MAX_BIGINT = 9223372036854775807n;

/** A decimal id of a bigserial column: digits only, within bigint. */
export const isBigintId = (s: string): boolean => /^\d{1,19}$/.test(s) && BigInt(s) <= MAX_BIGINT;

/** A uuid in a request (a filter value, a query parameter), with a message naming what was expected. */
export const uuidString = z.string().regex(UUID_PATTERN, 'must be a uuid');

/** A bigserial id in a request, e.g. `after=` of run events. */
export const bigintIdString = z.string().refine(isBigintId, 'must be a whole number from 0 to 9223372036854775807');
