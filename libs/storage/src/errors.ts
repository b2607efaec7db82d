/** Thrown for a key the stores refuse; `rule` says which rule it broke. */
export class InvalidArtifactKeyError extends Error {
  constructor(
    readonly key: string,
    readonly rule: string,
  ) {
    super(`invalid artifact key ${quote(key)}: ${rule}`);
    this.name = 'InvalidArtifactKeyError';
  }
}

/** Thrown by get() and getBuffer() when nothing is stored under the key. */
export class ArtifactNotFoundError extends Error {
  constructor(
    readonly key: string,
    readonly uri: string,
  ) {
    super(`artifact not found: ${uri}`);
    this.name = 'ArtifactNotFoundError';
  }
}

const SHOWN_KEY_CHARS = 120;

function quote(key: string): string {
  const shown = key.length > SHOWN_KEY_CHARS ? `${key.slice(0, SHOWN_KEY_CHARS)}…` : key;
  return JSON.stringify(shown);
}
