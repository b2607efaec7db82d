import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '@retort/contracts';
import { Repositories, type ApiToken } from '@retort/db';

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export const BOOTSTRAP_TOKEN_NAME = 'bootstrap-admin';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateToken(): string {
  return `rt_${randomBytes(32).toString('base64url')}`;
}

@Injectable()
export class TokenService {
  private readonly log = new Logger('auth');

  constructor(@Inject(Repositories) private readonly db: Repositories) {}

  async authenticate(token: string): Promise<Principal | null> {
    const row = await this.db.apiTokens.findActiveByHash(hashToken(token));
    if (!row) return null;
    // Best effort: a failed timestamp update must not fail the request.
    this.db.apiTokens.touch(row.id).catch(() => undefined);
    return { tokenId: row.id, name: row.name, role: row.role };
  }

  async create(name: string, role: Role): Promise<{ token: string; row: Omit<ApiToken, 'tokenHash'> }> {
    const token = generateToken();
    const row = await this.db.apiTokens.create({ name, role, tokenHash: hashToken(token), prefix: token.slice(0, 8) });
    return { token, row };
  }

  /** Makes sure the bootstrap admin token (from RETORT_ADMIN_TOKEN or `retort up`) is valid. */
  async ensureBootstrap(token: string): Promise<void> {
    const tokenHash = hashToken(token);
    const existing = await this.db.apiTokens.findByHash(tokenHash);
    if (existing) {
      if (existing.revokedAt) this.log.warn('the bootstrap admin token was revoked; it stays revoked');
      return;
    }
    await this.db.apiTokens.create({ name: BOOTSTRAP_TOKEN_NAME, role: 'admin', tokenHash, prefix: token.slice(0, 8) });
    this.log.log('bootstrap admin token registered');
  }
}
