/**
 * Adapter paths are read by the serving host, not by the api: `lora_path` must name a PEFT directory
 * (adapter_config.json + adapter_model.safetensors) on a filesystem the server sees. When the api
 * and the servers mount one shared volume at different places, the path the api wrote is mapped to
 * the path the server reads.
 */
import * as path from 'node:path';

export interface PathMapping {
  /** Where the api sees the shared directory, e.g. /data/retort/adapters. */
  localRoot: string;
  /** Where the serving host sees the same directory, e.g. /adapters. */
  serverRoot: string;
}

/** `/data/retort/adapters/support/v3` with {localRoot: /data/retort/adapters, serverRoot: /adapters} → `/adapters/support/v3`. */
export function toServerPath(localPath: string, mapping?: PathMapping): string {
  if (typeof localPath !== 'string' || !localPath) throw new RangeError(`adapter path must be a non-empty string, got ${JSON.stringify(localPath)}`);
  if (!mapping) return localPath;
  const root = path.posix.resolve(mapping.localRoot);
  const abs = path.posix.resolve(root, localPath);
  const rel = path.posix.relative(root, abs);
  if (rel === '..' || rel.startsWith('../') || path.posix.isAbsolute(rel)) {
    throw new RangeError(`adapter path ${localPath} is outside the shared directory ${mapping.localRoot}, so the serving host cannot read it`);
  }
  return rel ? path.posix.join(mapping.serverRoot, rel) : mapping.serverRoot;
}
