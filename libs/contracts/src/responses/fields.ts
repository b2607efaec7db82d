import { z } from 'zod';

/** Fields as they travel in JSON answers: dates as ISO strings, bigint ids as decimal strings. */
export const timestamp = z.iso.datetime();
export const serialId = z.string().regex(/^\d+$/);
/** A JSON object column whose content is not fixed by the API (config, progress, metrics…). */
export const jsonObject = z.record(z.string(), z.unknown());
