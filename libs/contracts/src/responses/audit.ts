import { z } from 'zod';
import { jsonObject, serialId, timestamp } from './fields';

export const AuditEntryResponseSchema = z.strictObject({
  id: serialId,
  at: timestamp,
  actor: z.string(),
  actorTokenId: z.uuid().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  data: jsonObject,
});
