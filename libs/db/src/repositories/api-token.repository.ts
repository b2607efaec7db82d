import { In, IsNull, type EntityManager } from 'typeorm';
import type { Role } from '@retort/contracts';
import { ApiToken } from '../entities';
import { findPage, type Page } from './page';

/** Tokens are looked up by their sha256; the hash itself is never read back. */
export class ApiTokenRepository {
  constructor(private readonly m: EntityManager) {}

  private get repo() {
    return this.m.getRepository(ApiToken);
  }

  async create(fields: { name: string; role: Role; tokenHash: string; prefix: string }): Promise<Omit<ApiToken, 'tokenHash'>> {
    const { tokenHash: _hash, ...row } = await this.repo.save(this.repo.create(fields));
    return row;
  }

  /** The token with this hash, revoked or not. */
  findByHash(tokenHash: string): Promise<ApiToken | null> {
    return this.repo.findOne({ where: { tokenHash } });
  }

  findActiveByHash(tokenHash: string): Promise<ApiToken | null> {
    return this.repo.findOne({ where: { tokenHash, revokedAt: IsNull() } });
  }

  findById(id: string): Promise<ApiToken | null> {
    return this.repo.findOneBy({ id });
  }

  async touch(id: string): Promise<void> {
    await this.repo.update(id, { lastUsedAt: new Date() });
  }

  /** Marks the token revoked as of now and returns it. */
  async revoke(token: ApiToken): Promise<ApiToken> {
    token.revokedAt = new Date();
    return this.repo.save(token);
  }

  list(filter: { ids?: string[] }, page: Page): Promise<[ApiToken[], number]> {
    return findPage(this.repo, filter.ids ? { id: In(filter.ids) } : {}, page);
  }
}
