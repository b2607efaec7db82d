/** Injection tokens for the things the api wires from libs. */
export const CONFIG = Symbol('RetortConfig');
export const ARTIFACT_STORE = Symbol('ArtifactStore');
