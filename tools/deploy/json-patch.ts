/** RFC 6902 JSON Patch, the operations kustomize's inline `patches` take: add, replace, remove. */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** `/a/b~1c/0` → ['a', 'b/c', '0'] (RFC 6901). */
function pointer(path: string): string[] {
  if (!path.startsWith('/')) throw new Error(`JSON pointer must start with "/": ${path}`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Applies the operations in place, failing on a path that does not exist (as kustomize does). */
export function applyJsonPatch(doc: unknown, ops: PatchOp[]): void {
  for (const op of ops) {
    const tokens = pointer(op.path);
    const last = tokens.pop()!;
    let parent: any = doc;
    for (const t of tokens) {
      parent = Array.isArray(parent) ? parent[Number(t)] : parent?.[t];
      if (parent === undefined || parent === null || typeof parent !== 'object') throw new Error(`${op.op} ${op.path}: no such path`);
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length - (op.op === 'add' ? 0 : 1)) throw new Error(`${op.op} ${op.path}: index out of range`);
      if (op.op === 'add') parent.splice(index, 0, op.value);
      else if (op.op === 'replace') parent[index] = op.value;
      else parent.splice(index, 1);
    } else {
      if (op.op !== 'add' && !(last in parent)) throw new Error(`${op.op} ${op.path}: no such path`);
      if (op.op === 'remove') delete parent[last];
      else parent[last] = op.value;
    }
  }
}
