import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, type Problem } from '@retort/contracts';

/** HTTP client for the commands that script a running Retort (RETORT_URL, RETORT_TOKEN). */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static fromEnv(): ApiClient {
    const config = loadConfig();
    const baseUrl = (process.env.RETORT_URL ?? `http://${config.host}:${config.port}`).replace(/\/$/, '');
    const tokenFile = path.join(config.home, 'admin-token');
    const token = process.env.RETORT_TOKEN ?? config.adminToken ?? (fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : '');
    if (!token) throw new Error(`no API token: set RETORT_TOKEN (or run \`retort up\`, which saves one in ${tokenFile})`);
    return new ApiClient(baseUrl, token);
  }

  async request<T>(method: string, route: string, init: { json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {}): Promise<{ data: T; headers: Headers }> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    let res: Response;
    try {
      // duplex 'half' lets a streamed body (an upload) go out without buffering it first.
      res = await fetch(this.baseUrl + route, { method, headers, body, duplex: 'half' } as RequestInit);
    } catch (err) {
      throw new Error(`cannot reach the Retort API at ${this.baseUrl} (${(err as Error).cause ?? (err as Error).message}); is \`retort up\` running? (RETORT_URL)`);
    }
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({ detail: res.statusText })));
    const type = res.headers.get('content-type') ?? '';
    const data = (type.includes('json') ? await res.json() : await res.text()) as T;
    return { data, headers: res.headers };
  }

  async stream(route: string): Promise<Response> {
    const res = await fetch(this.baseUrl + route, { headers: { Authorization: `Bearer ${this.token}` } });
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({ detail: res.statusText })));
    return res;
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    const lines = (problem.errors ?? []).map((e) => `  ${e.line !== undefined ? `line ${e.line}: ` : ''}${e.path ? `${e.path}: ` : ''}${e.message}`);
    const more = problem.totalErrors && problem.errors && problem.totalErrors > problem.errors.length ? [`  … and ${problem.totalErrors - problem.errors.length} more`] : [];
    super([`${problem.detail ?? 'request failed'} (HTTP ${status})`, ...lines, ...more].join('\n'));
  }
}
