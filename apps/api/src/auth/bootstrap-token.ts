import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RetortConfig } from '@retort/contracts';
import { randomBytes } from 'node:crypto';
import { generateToken } from './token.service';

/**
 * The bootstrap admin token: RETORT_ADMIN_TOKEN when set; otherwise the one saved in
 * RETORT_HOME/admin-token; otherwise a new one, saved there with mode 0600. `created` tells
 * the caller to print it (once).
 */
export function resolveBootstrapToken(config: RetortConfig): { token: string; created: boolean; file?: string } {
  if (config.adminToken) return { token: config.adminToken, created: false };
  const file = path.join(config.home, 'admin-token');
  if (fs.existsSync(file)) return { token: fs.readFileSync(file, 'utf8').trim(), created: false, file };
  fs.mkdirSync(config.home, { recursive: true });
  const token = generateToken();
  fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, created: true, file };
}

/** RETORT_SECRET_KEY when set; otherwise one kept in RETORT_HOME/secret-key (mode 0600), made once. */
export function resolveSecretKey(config: RetortConfig): string {
  if (config.secretKey) return config.secretKey;
  const file = path.join(config.home, 'secret-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(config.home, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
