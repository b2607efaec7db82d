import type { Role } from '@retort/contracts';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Reading is for everyone; resources only admins may touch at all. */
const ADMIN_RESOURCES = new Set(['tokens', 'audit']);
/** Resources everyone may read but only admins may change (teachers and serving targets). */
const ADMIN_WRITE_RESOURCES = new Set(['endpoints']);
const READ_ACTIONS = new Set(['list', 'show', 'read', 'export']);
/** Actions only an admin may take (promotion, deletion, managing tokens and endpoints). */
const ADMIN_ACTIONS = new Set(['delete', 'promote', 'rollback', 'manage']);
/** Actions operators may take even on admin-write resources (the API's `Needs('operator')`). */
const OPERATOR_ACTIONS = new Set(['test']);

/**
 * The role needed for `action` on `resource`: viewer reads, operator creates and runs
 * (create, edit, upload, curate, run, cancel, retry, ...), admin promotes and manages.
 * Mirrors the API's guards.
 */
export function requiredRole(action: string, resource?: string): Role {
  const base = action.split('.')[0];
  if (resource && ADMIN_RESOURCES.has(resource)) return 'admin';
  if (READ_ACTIONS.has(base)) return 'viewer';
  if (ADMIN_ACTIONS.has(base)) return 'admin';
  if (OPERATOR_ACTIONS.has(base)) return 'operator';
  if (resource && ADMIN_WRITE_RESOURCES.has(resource)) return 'admin';
  return 'operator';
}

export function roleCan(role: Role | undefined, action: string, resource?: string): boolean {
  if (!role || !(role in RANK)) return false;
  return RANK[role] >= RANK[requiredRole(action, resource)];
}
