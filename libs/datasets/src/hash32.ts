/** Small non-cryptographic 32-bit hashes for MinHash, LSH band keys and seeded splits. */

/**
 * a·b mod 2^32 (as an int32) from 16-bit halves. Math.imul does the same, but under jest (code run
 * in a vm context whose Math comes from another realm) each call costs ~150 ns instead of ~1 ns.
 */
export function mul32(a: number, b: number): number {
  return ((a & 0xffff) * b + ((((a >>> 16) * b) & 0xffff) << 16)) | 0;
}

/** The murmur3 finaliser: a bijective mix of a 32-bit integer with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = mul32(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = mul32(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of s[start, end), finalised with fmix32. */
export function hashString(s: string, seed = 0, start = 0, end = s.length): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = mul32(h, 0x01000193);
  }
  return fmix32(h);
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
