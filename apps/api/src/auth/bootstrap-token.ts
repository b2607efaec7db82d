import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RetortConfig } from '@retort/contracts';
import { randomBytes } from 'node:crypto';
import { generateToken } from './token.service';

/** A secret kept in RETORT_HOME/<name> (mode 0600): read when it is there, else made and saved once. */
function keptSecret(home: string, name: string, make: () => string): { value: string; created: boolean; file: string } {
  const file = path.join(home, name);
  if (fs.existsSync(file)) return { value: fs.readFileSync(file, 'utf8').trim(), created: false, file };
  fs.mkdirSync(home, { recursive: true });
  const value = make();
  fs.writeFileSync(file, value + '\n', { mode: 0o600 });
  return { value, created: true, file };
}

/**
 * The bootstrap admin token: RETORT_ADMIN_TOKEN when set; otherwise the one saved in
 * RETORT_HOME/admin-token; otherwise a new one, saved there with mode 0600. `created` tells
 * the caller to print it (once).
 */
export function resolveBootstrapToken(config: RetortConfig): { token: string; created: boolean; file?: string } {
  if (config.adminToken) return { token: config.adminToken, created: false };
  const { value, created, file } = keptSecret(config.home, 'admin-token', generateToken);
  return { token: value, created, file };
}

/** RETORT_SECRET_KEY when set; otherwise one kept in RETORT_HOME/secret-key (mode 0600), made once. */
export function resolveSecretKey(config: RetortConfig): string {
  return config.secretKey ?? keptSecret(config.home, 'secret-key', () => randomBytes(32).toString('base64url')).value;
}

/** The embedded retort serve's API key: RETORT_SERVE_API_KEY when set; otherwise one kept in RETORT_HOME/serve-api-key. */
export function resolveServeApiKey(config: RetortConfig): string {
  return config.serveApiKey ?? keptSecret(config.home, 'serve-api-key', () => `rs_${randomBytes(24).toString('base64url')}`).value;
}
