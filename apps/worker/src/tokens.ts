export const CONFIG = Symbol('RetortConfig');
export const ARTIFACT_STORE = Symbol('ArtifactStore');
export const METRICS = Symbol('WorkerMetrics');
