import { z } from 'zod';
import { defaultQueuePrefix } from './queue-prefix';

const port = z.coerce.number().int().min(1).max(65535);
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL with scheme ${protocols.map((p) => p.replace(':', '://')).join(' or ')}`);

const EnvSchema = z
  .object({
    DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    S3_ENDPOINT: url(['http:', 'https:']).optional(),
    S3_ACCESS_KEY: z.string().min(1).optional(),
    S3_SECRET_KEY: z.string().min(1).optional(),
    S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name').default('retort'),
    S3_REGION: z.string().min(1).default('us-east-1'),
    RETORT_HOME: z.string().min(1).default('.retort'),
    RETORT_HOST: z.string().min(1).default('127.0.0.1'),
    RETORT_PORT: port.default(3000),
    RETORT_SERVE_PORT: port.default(3001),
    // 0 picks a free port (tests).
    RETORT_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    RETORT_PG_PORT: port.default(5433),
    RETORT_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    RETORT_SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    RETORT_QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/, 'letters, digits, "_" and "-" only').optional(),
    RETORT_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    /** 1: ANSI colours in the log, 0: plain text; unset: colours only on a terminal. */
    RETORT_LOG_COLORS: z.enum(['0', '1']).optional(),
    RETORT_MAX_UPLOAD_MB: z.coerce.number().int().min(1).default(1024),
    RETORT_SERVING_DIR: z.string().min(1).optional(),
    RETORT_SERVING_SERVER_ROOT: z.string().min(1).optional(),
    // A SIGKILLed worker's job is taken over within lock + check (25 s by default): see takeoverBoundMs.
    RETORT_JOB_LOCK_MS: z.coerce.number().int().min(1000).default(20000),
    RETORT_STALLED_CHECK_MS: z.coerce.number().int().min(500).default(5000),
    RETORT_ADMIN_DIST: z.string().optional(),
    /** Origins (comma-separated) whose pages may call the api from a browser; unset: same origin only. */
    RETORT_CORS_ORIGINS: z.string().optional(),
    RETORT_SERVE_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    RETORT_SSE_KEEPALIVE_MS: z.coerce.number().int().min(100).default(15000),
    RETORT_RECONCILE_MS: z.coerce.number().int().min(1000).default(60000),
  })
  .superRefine((env, ctx) => {
    if (env.S3_ENDPOINT && (!env.S3_ACCESS_KEY || !env.S3_SECRET_KEY)) {
      for (const key of ['S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when S3_ENDPOINT is set' });
      }
    }
  });

export interface RetortConfig {
  databaseUrl?: string;
  redisUrl: string;
  s3?: { endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string };
  home: string;
  artifactsDir: string;
  host: string;
  port: number;
  servePort: number;
  /** A worker serves /metrics and /healthz on RETORT_HOST at this port; unset: no HTTP at all. */
  metricsPort?: number;
  /** Port of the embedded Postgres that `retort up` runs when DATABASE_URL is unset. */
  embeddedPgPort: number;
  adminToken?: string;
  /** Encrypts endpoint secrets at rest; `retort up` generates one in RETORT_HOME/secret-key. */
  secretKey?: string;
  /** BullMQ key prefix: RETORT_QUEUE_PREFIX, else `retort` with DATABASE_URL, else `retort-<hash of home>`. */
  queuePrefix: string;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** ANSI colours in the log (a terminal by default; plain text in files and pipes). */
  logColors: boolean;
  maxUploadBytes: number;
  /**
   * A worker holds a job's lock this long between renewals (BullMQ renews it from a timer at least
   * every half of it); a dead worker's job is taken over after it lapses. The timer cannot fire
   * while JavaScript is busy, so no synchronous stretch of a job (one micro-batch of training on
   * wasm or tfjs-node) may last half of it.
   */
  jobLockMs: number;
  /** Where promotion writes adapters for the serving hosts (a directory they share), and where they see it. */
  servingDir: string;
  servingServerRoot?: string;
  /** How often workers look for stalled jobs (a dead worker's). */
  stalledCheckMs: number;
  adminDist?: string;
  /** Cross-origin callers of the api (CORS); empty: only the api's own origin (the console it serves). */
  corsOrigins: string[];
  /** The bearer key of the embedded retort serve; `retort up` generates one in RETORT_HOME/serve-api-key. */
  serveApiKey?: string;
  /** An event stream with nothing to say sends a comment this often, so idle connections stay open. */
  sseKeepAliveMs: number;
  /** How often the api puts back the jobs and job schedulers that Redis lost. */
  reconcileMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
  }
}

/** Reads the environment once into a typed, validated object; a bad value names its variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): RetortConfig {
  const blankAsUnset = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(blankAsUnset);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const variable = String(i.path[0] ?? 'environment');
        const got = blankAsUnset[variable];
        return { variable, message: got === undefined ? i.message : `${i.message} (got ${JSON.stringify(got)})` };
      }),
    );
  }
  const e = parsed.data;
  // Kept free of node:path so that this lib stays importable from the browser bundle.
  const home = e.RETORT_HOME.startsWith('/') ? e.RETORT_HOME : `${process.cwd()}/${e.RETORT_HOME.replace(/^\.\//, '')}`;
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    s3: e.S3_ENDPOINT
      ? { endpoint: e.S3_ENDPOINT, accessKey: e.S3_ACCESS_KEY!, secretKey: e.S3_SECRET_KEY!, bucket: e.S3_BUCKET, region: e.S3_REGION }
      : undefined,
    home,
    artifactsDir: `${home}/artifacts`,
    host: e.RETORT_HOST,
    port: e.RETORT_PORT,
    servePort: e.RETORT_SERVE_PORT,
    metricsPort: e.RETORT_METRICS_PORT,
    embeddedPgPort: e.RETORT_PG_PORT,
    adminToken: e.RETORT_ADMIN_TOKEN,
    secretKey: e.RETORT_SECRET_KEY,
    queuePrefix: e.RETORT_QUEUE_PREFIX ?? defaultQueuePrefix(home, e.DATABASE_URL),
    logLevel: e.RETORT_LOG_LEVEL,
    logColors: e.RETORT_LOG_COLORS === undefined ? Boolean(process.stdout.isTTY) : e.RETORT_LOG_COLORS === '1',
    maxUploadBytes: e.RETORT_MAX_UPLOAD_MB * 1024 * 1024,
    jobLockMs: e.RETORT_JOB_LOCK_MS,
    servingDir: e.RETORT_SERVING_DIR ?? `${home}/serving`,
    servingServerRoot: e.RETORT_SERVING_SERVER_ROOT,
    stalledCheckMs: e.RETORT_STALLED_CHECK_MS,
    adminDist: e.RETORT_ADMIN_DIST,
    corsOrigins: (e.RETORT_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean),
    serveApiKey: e.RETORT_SERVE_API_KEY,
    sseKeepAliveMs: e.RETORT_SSE_KEEPALIVE_MS,
    reconcileMs: e.RETORT_RECONCILE_MS,
  };
}

/** ioredis options from a redis:// URL (BullMQ wants options or an instance, not a URL). */
export function redisOptionsFromUrl(redisUrl: string): {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
} {
  const u = new URL(redisUrl);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db !== undefined && Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
