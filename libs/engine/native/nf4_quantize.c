/*
 * The first level of NF4 quantization on the host (nf4.ts quantizeNf4 runs the small second level):
 * blocks of 64 weights, the block absmax, and each weight's nearest NF4 value, first on ties.
 * float32 arithmetic in nf4.ts's order, NaN kept as Math.max keeps it, so the codes and absmax are
 * bit for bit those of the JavaScript (test/host-weights.spec.ts compares them).
 */
#include "nf4_matmul.h"

#define BLOCK 64

/* argmin_j |v - table[j]| over a sorted table, the first j on ties: only the entries around v compete. */
static uint8_t nearest(float v, const float *table, int n) {
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) >> 1;
    if (table[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return 0;
  if (lo == n) return (uint8_t)(n - 1);
  float below = v - table[lo - 1], above = v - table[lo];
  if (below < 0) below = -below;
  if (above < 0) above = -above;
  return (uint8_t)(above < below ? lo : lo - 1);
}

void nf4_quantize(const float *x, int64_t n, const float *nf4, uint8_t zero_code, uint8_t *codes, float *absmax) {
  int64_t blocks = (n + BLOCK - 1) / BLOCK;
  for (int64_t b = 0; b < blocks; b++) {
    int64_t start = b * BLOCK, end = start + BLOCK < n ? start + BLOCK : n;
    float m = 0;
    for (int64_t i = start; i < end; i++) {
      float a = x[i] < 0 ? -x[i] : x[i];
      if (m == m && (a > m || a != a)) m = a; /* Math.max: NaN wins and stays */
    }
    absmax[b] = m;
    uint8_t c[BLOCK];
    int len = (int)(end - start);
    if (m == 0) {
      for (int j = 0; j < len; j++) c[j] = zero_code;
    } else {
      float inv = 1.0f / m;
      for (int j = 0; j < len; j++) {
        float s = x[start + j] * inv;
        s = s < -1.0f ? -1.0f : s;
        s = s > 1.0f ? 1.0f : s;
        c[j] = nearest(s, nf4, 16);
      }
    }
    for (int j = len; j < BLOCK; j++) c[j] = zero_code;
    /* bitsandbytes' bytes: byte k = code 2k << 4 | code 2k+1; a partial last byte padded with zero_code */
    uint8_t *out = codes + start / 2;
    for (int j = 0; j < (len + 1) / 2; j++) out[j] = (uint8_t)((c[2 * j] << 4) | c[2 * j + 1]);
  }
}
