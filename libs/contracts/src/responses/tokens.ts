import { z } from 'zod';
import { RoleSchema } from '../roles';
import { timestamp } from './fields';

/** A token as listed: its first characters only; the database keeps its sha256. */
export const TokenResponseSchema = z.strictObject({
  id: z.uuid(),
  name: z.string(),
  role: RoleSchema,
  prefix: z.string(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});

/** The answer to a creation, the only one that holds the token itself. */
export const CreatedTokenResponseSchema = TokenResponseSchema.extend({ token: z.string() });

export const PrincipalResponseSchema = z.strictObject({ name: z.string(), role: RoleSchema });
