import type { DataSource } from 'typeorm';
import { createMigratedTestDataSource, MissingSecretKeyError, Repositories, type EndpointFields } from '../src';

const FIELDS: EndpointFields = {
  name: 'teacher',
  purpose: 'teacher',
  kind: 'openai',
  baseUrl: 'http://127.0.0.1:1/v1',
  model: 'big',
  maxConcurrency: 2,
  requestsPerMinute: null,
  tokensPerMinute: null,
  timeoutMs: 5000,
};
const KEY = 'a-long-enough-secret-key';

describe('endpoint credentials', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ ds, drop } = await createMigratedTestDataSource());
  });
  afterAll(() => drop());

  it('stores the API key sealed, returns it only through apiKey, and forgets it on null', async () => {
    const repos = Repositories.of(ds, { secretKey: KEY });
    const e = await repos.endpoints.create(FIELDS, 'sk-teacher-123');
    const [stored] = await ds.query('SELECT secret_sealed FROM endpoint WHERE id = $1', [e.id]);
    expect(stored.secret_sealed).toMatch(/^v1:/);
    expect(stored.secret_sealed).not.toContain('sk-teacher-123');
    expect(JSON.stringify(await repos.endpoints.findById(e.id))).not.toContain('v1:');
    expect(await repos.endpoints.withApiKey([e.id])).toEqual(new Set([e.id]));
    expect(await repos.endpoints.apiKey(e.id)).toBe('sk-teacher-123');

    await repos.endpoints.update(e.id, { model: 'bigger' });
    expect(await repos.endpoints.apiKey(e.id)).toBe('sk-teacher-123');
    await repos.endpoints.update(e.id, {}, null);
    expect(await repos.endpoints.apiKey(e.id)).toBeUndefined();
    expect(await repos.endpoints.withApiKey([e.id])).toEqual(new Set());
  });

  it('refuses to seal or open without the secret key, and fails loudly with another key', async () => {
    const sealed = await Repositories.of(ds, { secretKey: KEY }).endpoints.create({ ...FIELDS, name: 'keyed' }, 'sk-1');
    const keyless = Repositories.of(ds);
    await expect(keyless.endpoints.apiKey(sealed.id)).rejects.toThrow(MissingSecretKeyError);
    await expect(keyless.endpoints.create({ ...FIELDS, name: 'refused' }, 'sk-2')).rejects.toThrow(MissingSecretKeyError);
    expect(await keyless.endpoints.findByName('refused')).toBeNull();
    const open = await keyless.endpoints.create({ ...FIELDS, name: 'open' });
    expect(await keyless.endpoints.apiKey(open.id)).toBeUndefined();
    await expect(Repositories.of(ds, { secretKey: 'another-long-secret-key' }).endpoints.apiKey(sealed.id)).rejects.toThrow(/RETORT_SECRET_KEY differs/);
  });
});
