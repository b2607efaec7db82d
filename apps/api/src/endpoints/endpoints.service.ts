import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { CreateEndpointDto, UpdateEndpointDto } from '@retort/contracts';
import { MissingSecretKeyError, Repositories, type Endpoint } from '@retort/db';
import { createTeacherClient, type ConnectionTestResult } from '@retort/teacher';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/token.service';
import { idFilter, textFilter, type ListQuery } from '../common/list-query';
import { ProblemException } from '../common/problem';

/** An endpoint as the api shows it: whether it has a secret, never the secret. */
export type EndpointView = Omit<Endpoint, 'secretSealed'> & { hasApiKey: boolean };

const trimSlashes = (url: string) => url.replace(/\/+$/, '');

@Injectable()
export class EndpointsService {
  constructor(
    @Inject(Repositories) private readonly db: Repositories,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  async create(dto: CreateEndpointDto, who: Principal): Promise<EndpointView> {
    if (await this.db.endpoints.findByName(dto.name)) throw new ProblemException(409, 'conflict', `an endpoint named "${dto.name}" already exists`);
    const { apiKey, ...rest } = dto;
    const fields = { ...rest, baseUrl: trimSlashes(dto.baseUrl), requestsPerMinute: dto.requestsPerMinute ?? null, tokensPerMinute: dto.tokensPerMinute ?? null };
    const saved = await needsSecretKey(this.db.endpoints.create(fields, apiKey));
    await this.audit.record(who, 'endpoint.create', { type: 'endpoint', id: saved.id }, { name: saved.name, purpose: saved.purpose, baseUrl: saved.baseUrl });
    return this.get(saved.id);
  }

  async update(id: string, dto: UpdateEndpointDto, who: Principal): Promise<EndpointView> {
    await this.get(id);
    const { apiKey, ...rest } = dto;
    await needsSecretKey(this.db.endpoints.update(id, { ...rest, ...(rest.baseUrl ? { baseUrl: trimSlashes(rest.baseUrl) } : {}) }, apiKey));
    await this.audit.record(who, 'endpoint.update', { type: 'endpoint', id }, { fields: Object.keys(dto) });
    return this.get(id);
  }

  async remove(id: string, who: Principal): Promise<void> {
    const e = await this.get(id);
    await this.db.endpoints.delete(id);
    await this.audit.record(who, 'endpoint.delete', { type: 'endpoint', id }, { name: e.name });
  }

  async list(q: ListQuery): Promise<[EndpointView[], number]> {
    const [rows, total] = await this.db.endpoints.list({ purpose: textFilter(q, 'purpose'), name: textFilter(q, 'name'), ids: idFilter(q) }, q);
    const withKey = await this.db.endpoints.withApiKey(rows.map((r) => r.id));
    return [rows.map((r) => ({ ...r, hasApiKey: withKey.has(r.id) })), total];
  }

  async get(id: string): Promise<EndpointView> {
    const row = await this.db.endpoints.findById(id);
    if (!row) throw new NotFoundException(`endpoint ${id} does not exist`);
    return { ...row, hasApiKey: (await this.db.endpoints.withApiKey([id])).has(id) };
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
    const row = await this.db.endpoints.findByRef(ref);
    if (!row) throw new ProblemException(400, 'validation', `no endpoint "${ref}"`, { errors: [{ path: 'endpoint', message: 'unknown endpoint' }] });
    return this.get(row.id);
  }

  /** The decrypted key, for the server side only (connection tests, the playground). */
  apiKey(id: string): Promise<string | undefined> {
    return needsSecretKey(this.db.endpoints.apiKey(id));
  }
}

/** Without RETORT_SECRET_KEY no key can be stored or used: 503, saying how to fix it. */
async function needsSecretKey<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof MissingSecretKeyError) throw new ProblemException(503, 'no-secret-key', 'RETORT_SECRET_KEY is not set, so secrets cannot be stored; set it (`retort up` generates one)');
    throw err;
  }
}
