import { z } from 'zod';
import { RoleSchema } from './roles';

export const CreateTokenSchema = z.object({
  name: z.string().min(1).max(100),
  role: RoleSchema,
});
export type CreateTokenDto = z.infer<typeof CreateTokenSchema>;
