import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * The code that trained an adapter: RETORT_CODE_VERSION when the deployment sets it (an image tag),
 * else the package version and, in a git checkout, the commit.
 */
export function codeVersion(): string {
  if (cached) return cached;
  const root = path.resolve(__dirname, '..', '..');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  let commit = '';
  try {
    const head = fs.readFileSync(path.join(root, '.git', 'HEAD'), 'utf8').trim();
    commit = head.startsWith('ref: ') ? fs.readFileSync(path.join(root, '.git', head.slice(5)), 'utf8').trim() : head;
  } catch {
    // not a git checkout (an image): the package version alone
  }
  cached = process.env.RETORT_CODE_VERSION || `retort@${pkg.version}${commit ? `+${commit.slice(0, 12)}` : ''}`;
  return cached;
}
