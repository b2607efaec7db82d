import { In, type EntityManager } from 'typeorm';
import { Endpoint } from '../entities';
import { SecretBox } from '../secret-box';
import { NamedRepository } from './named.repository';
import { findPage, type Page } from './page';

/** A secret has to be sealed or opened, and this process has no RETORT_SECRET_KEY. */
export class MissingSecretKeyError extends Error {}

export type EndpointFields = Omit<Endpoint, 'id' | 'createdAt' | 'secretSealed'>;

export interface EndpointFilter {
  ids?: string[];
  name?: string;
  purpose?: string;
}

/**
 * Endpoints and their API keys. A key is sealed on the way in and unsealed only by `apiKey`, for
 * the server side (connection tests, promotion, the workers); no other read returns it.
 */
export class EndpointRepository extends NamedRepository<Endpoint> {
  constructor(
    m: EntityManager,
    private readonly secretKey?: string,
  ) {
    super(m, Endpoint);
  }

  async create(fields: EndpointFields, apiKey?: string): Promise<Endpoint> {
    const { secretSealed: _sealed, ...saved } = await this.repo.save(this.repo.create({ ...fields, secretSealed: apiKey ? this.box('seal').seal(apiKey) : null }));
    return saved as Endpoint;
  }

  /** `apiKey`: undefined keeps the stored key, null removes it. */
  async update(id: string, patch: Partial<EndpointFields>, apiKey?: string | null): Promise<void> {
    const change: Partial<Endpoint> = { ...patch };
    if (apiKey !== undefined) change.secretSealed = apiKey === null ? null : this.box('seal').seal(apiKey);
    await this.repo.update(id, change);
  }

  async delete(id: string): Promise<void> {
    await this.repo.delete(id);
  }

  list(filter: EndpointFilter, page: Page): Promise<[Endpoint[], number]> {
    const where: Record<string, unknown> = {};
    if (filter.purpose !== undefined) where.purpose = filter.purpose;
    if (filter.name !== undefined) where.name = filter.name;
    if (filter.ids) where.id = In(filter.ids);
    return findPage(this.repo, where, page);
  }

  serving(): Promise<Endpoint[]> {
    return this.repo.findBy({ purpose: 'serving' });
  }

  /** Which of these endpoints have an API key stored. */
  async withApiKey(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: { id: string }[] = await this.m.query(`SELECT id FROM endpoint WHERE id = ANY($1::uuid[]) AND secret_sealed IS NOT NULL`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  /** The endpoint's API key in the clear, or undefined when it has none. */
  async apiKey(id: string): Promise<string | undefined> {
    const row = await this.repo.createQueryBuilder('e').addSelect('e.secretSealed').where('e.id = :id', { id }).getOne();
    return row?.secretSealed ? this.box('open').open(row.secretSealed) : undefined;
  }

  private box(purpose: 'seal' | 'open'): SecretBox {
    if (!this.secretKey) {
      throw new MissingSecretKeyError(
        purpose === 'seal' ? 'RETORT_SECRET_KEY is not set, so secrets cannot be stored; set it (`retort up` generates one)' : 'the endpoint has an API key but RETORT_SECRET_KEY is not set',
      );
    }
    return new SecretBox(this.secretKey);
  }
}
