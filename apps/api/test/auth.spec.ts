import request from 'supertest';
import { ROLES, type Role } from '@retort/contracts';
import { startTestStack, type TestStack } from './harness';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const SOME_UUID = '00000000-0000-4000-8000-000000000000';

describe('auth on every route', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  function operations() {
    const ops: { method: (typeof METHODS)[number]; path: string; role: Role | 'public' | undefined }[] = [];
    for (const [p, item] of Object.entries(stack.openapi.paths)) {
      for (const method of METHODS) {
        const op = (item as Record<string, { 'x-retort-role'?: Role | 'public' }>)[method];
        if (op) ops.push({ method, path: p.replace(/\{[^}]+\}/g, SOME_UUID), role: op['x-retort-role'] });
      }
    }
    return ops;
  }

  it('documents a role for every operation, and only /healthz is public', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(10);
    expect(ops.filter((o) => o.role === undefined)).toEqual([]);
    expect(ops.filter((o) => o.role === 'public').map((o) => o.path)).toEqual(['/healthz']);
  });

  it('answers 401 problem+json without a token or with a wrong one', async () => {
    for (const op of operations().filter((o) => o.role !== 'public')) {
      for (const auth of [undefined, 'Bearer rt_not_a_real_token', 'Basic abc']) {
        const req = request(stack.baseUrl)[op.method](op.path);
        if (auth) req.set('Authorization', auth);
        const res = await req;
        expect({ op: `${op.method} ${op.path}`, auth, status: res.status }).toEqual({ op: `${op.method} ${op.path}`, auth, status: 401 });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ type: expect.stringMatching(/unauthorized$/), status: 401, detail: expect.any(String) });
      }
    }
  });

  it('answers 403 for every role below the one a route needs, and lets the needed role through', async () => {
    const tokenOf = (r: Role) => stack.tokens[r];
    for (const op of operations().filter((o) => o.role !== 'public')) {
      const needed = op.role as Role;
      for (const role of ROLES) {
        const res = await request(stack.baseUrl)[op.method](op.path).set('Authorization', `Bearer ${tokenOf(role)}`).send({});
        const allowed = ROLES.indexOf(role) >= ROLES.indexOf(needed);
        if (allowed) expect({ op: `${op.method} ${op.path}`, role, status: res.status }).not.toEqual({ op: `${op.method} ${op.path}`, role, status: 403 });
        else {
          expect({ op: `${op.method} ${op.path}`, role, status: res.status }).toEqual({ op: `${op.method} ${op.path}`, role, status: 403 });
          expect(res.body.detail).toContain(`needs the ${needed} role`);
        }
      }
    }
  });

  it('creates tokens shown once and stored only as a hash; a revoked token stops working', async () => {
    const admin = `Bearer ${stack.tokens.admin}`;
    const created = await request(stack.baseUrl).post('/api/v1/tokens').set('Authorization', admin).send({ name: 'ci', role: 'viewer' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^rt_/);
    expect(created.body.tokenHash).toBeUndefined();
    const list = await request(stack.baseUrl).get('/api/v1/tokens').set('Authorization', admin);
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);
    expect(list.headers['content-range']).toMatch(/^tokens 0-\d+\/\d+$/);
    const me = await request(stack.baseUrl).get('/api/v1/me').set('Authorization', `Bearer ${created.body.token}`);
    expect(me.body).toEqual({ name: 'ci', role: 'viewer' });
    const { DataSource } = await import('typeorm');
    const rows = await stack.app.get(DataSource).query('SELECT token_hash FROM api_token WHERE id = $1', [created.body.id]);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_hash).not.toContain(created.body.token);
    await request(stack.baseUrl).delete(`/api/v1/tokens/${created.body.id}`).set('Authorization', admin).expect(200);
    await request(stack.baseUrl).get('/api/v1/me').set('Authorization', `Bearer ${created.body.token}`).expect(401);
    const audit = await request(stack.baseUrl).get('/api/v1/audit').set('Authorization', admin);
    expect(audit.body.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['token.create', 'token.revoke']));
  });

  it('validates bodies into problem+json field errors', async () => {
    const res = await request(stack.baseUrl).post('/api/v1/tokens').set('Authorization', `Bearer ${stack.tokens.admin}`).send({ name: '', role: 'king' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['name', 'role']);
  });
});
