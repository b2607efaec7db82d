import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { CreateEndpointDto, RetortConfig, UpdateEndpointDto } from '@retort/contracts';
import { Endpoint, SecretBox } from '@retort/db';
import { createTeacherClient, type ConnectionTestResult } from '@retort/teacher';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { filterIds, type ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';
import { CONFIG } from '../infra/tokens';

/** An endpoint as the api shows it: whether it has a secret, never the secret. */
export type EndpointView = Omit<Endpoint, 'secretSealed'> & { hasApiKey: boolean };

@Injectable()
export class EndpointsService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(CONFIG) private readonly config: RetortConfig,
  ) {}

  async create(dto: CreateEndpointDto, who: Principal): Promise<EndpointView> {
    const repo = this.ds.getRepository(Endpoint);
    if (await repo.findOneBy({ name: dto.name })) throw new ProblemException(409, 'conflict', `an endpoint named "${dto.name}" already exists`);
    const { apiKey, ...rest } = dto;
    const saved = await repo.save(repo.create({ ...rest, baseUrl: dto.baseUrl.replace(/\/+$/, ''), requestsPerMinute: dto.requestsPerMinute ?? null, tokensPerMinute: dto.tokensPerMinute ?? null, secretSealed: apiKey ? this.box().seal(apiKey) : null }));
    await this.audit.record(who, 'endpoint.create', { type: 'endpoint', id: saved.id }, { name: saved.name, purpose: saved.purpose, baseUrl: saved.baseUrl });
    return this.get(saved.id);
  }

  async update(id: string, dto: UpdateEndpointDto, who: Principal): Promise<EndpointView> {
    await this.get(id);
    const { apiKey, ...rest } = dto;
    const patch: Partial<Endpoint> = { ...rest, ...(rest.baseUrl ? { baseUrl: rest.baseUrl.replace(/\/+$/, '') } : {}) };
    if (apiKey !== undefined) patch.secretSealed = apiKey === null ? null : this.box().seal(apiKey);
    await this.ds.getRepository(Endpoint).update(id, patch);
    await this.audit.record(who, 'endpoint.update', { type: 'endpoint', id }, { fields: Object.keys(dto) });
    return this.get(id);
  }

  async remove(id: string, who: Principal): Promise<void> {
    const e = await this.get(id);
    await this.ds.getRepository(Endpoint).delete(id);
    await this.audit.record(who, 'endpoint.delete', { type: 'endpoint', id }, { name: e.name });
  }

  async list(q: ListQuery): Promise<[EndpointView[], number]> {
    const where: Record<string, unknown> = {};
    if (typeof q.filter.purpose === 'string') where.purpose = q.filter.purpose;
    if (typeof q.filter.name === 'string') where.name = q.filter.name;
    if (Array.isArray(q.filter.id)) where.id = In(filterIds(q));
    const [rows, total] = await this.ds.getRepository(Endpoint).findAndCount({ where, order: { [q.sort.field]: q.sort.order }, skip: q.skip, take: q.take });
    const sealed = await this.sealedIds(rows.map((r) => r.id));
    return [rows.map((r) => ({ ...r, hasApiKey: sealed.has(r.id) })), total];
  }

  async get(id: string): Promise<EndpointView> {
    const row = await this.ds.getRepository(Endpoint).findOneBy({ id });
    if (!row) throw new NotFoundException(`endpoint ${id} does not exist`);
    return { ...row, hasApiKey: (await this.sealedIds([id])).has(id) };
  }

  /** Asks the endpoint for its models (or a one-token completion): reachable, authorised, serving the model? */
  async testConnection(id: string, who: Principal): Promise<ConnectionTestResult & { modelListed?: boolean }> {
    const e = await this.get(id);
    const client = createTeacherClient({ baseUrl: e.baseUrl, model: e.model, apiKey: await this.apiKey(id), maxRetries: 0, timeoutMs: Math.min(e.timeoutMs, 15000) });
    try {
      const result = await client.testConnection();
      await this.audit.record(who, 'endpoint.test', { type: 'endpoint', id }, { ok: result.ok });
      return { ...result, ...(result.models ? { modelListed: result.models.includes(e.model) } : {}) };
    } finally {
      await client.close();
    }
  }

  /** By id or name. */
  async resolve(ref: string): Promise<EndpointView> {
    const isUuid = /^[0-9a-f-]{36}$/i.test(ref);
    const row = await this.ds.getRepository(Endpoint).findOneBy(isUuid ? { id: ref } : { name: ref });
    if (!row) throw new ProblemException(400, 'validation', `no endpoint "${ref}"`, { errors: [{ path: 'endpoint', message: 'unknown endpoint' }] });
    return this.get(row.id);
  }

  /** The decrypted key, for the server side only (connection tests, the worker). */
  async apiKey(id: string): Promise<string | undefined> {
    const row = await this.ds.getRepository(Endpoint).createQueryBuilder('e').addSelect('e.secretSealed').where('e.id = :id', { id }).getOne();
    return row?.secretSealed ? this.box().open(row.secretSealed) : undefined;
  }

  private async sealedIds(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM endpoint WHERE id = ANY($1::uuid[]) AND secret_sealed IS NOT NULL`, [ids]);
    return new Set(rows.map((r) => r.id));
  }

  private box(): SecretBox {
    if (!this.config.secretKey) throw new ProblemException(503, 'no-secret-key', 'RETORT_SECRET_KEY is not set, so secrets cannot be stored; set it (`retort up` generates one)');
    return new SecretBox(this.config.secretKey);
  }
}
