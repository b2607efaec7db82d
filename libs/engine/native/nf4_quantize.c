/*
 * The first level of NF4 quantization on the host (nf4.ts quantizeNf4 runs the small second level):
 * blocks of 64 weights, the block absmax, and each weight's nearest NF4 value, first on ties.
 * float32 arithmetic in nf4.ts's order, NaN kept as Math.max keeps it, so the codes and absmax are
 * bit for bit those of the JavaScript (test/host-weights.spec.ts compares them).
 */
#include "nf4_matmul.h"

#define BLOCK 64

/*
 * argmin_j |v - table[j]| over a sorted table of 16, the first j on ties: only the entries around v
 * compete. The entries <= v are counted rather than searched for: random weights would mispredict
 * every branch of a binary search, and the count has none (NaN counts 0, as nf4.ts's search ends).
 */
static uint8_t nearest(float v, const float *table) {
  int lo = 0;
  for (int j = 0; j < 16; j++) lo += table[j] <= v;
  int below_i = lo > 0 ? lo - 1 : 0, above_i = lo < 16 ? lo : 15;
  float below = v - table[below_i], above = v - table[above_i];
  below = below < 0 ? -below : below;
  above = above < 0 ? -above : above;
  int pick = above < below ? above_i : below_i;
  return (uint8_t)(lo == 0 ? 0 : lo == 16 ? 15 : pick);
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
        c[j] = nearest(s, nf4);
      }
    }
    for (int j = len; j < BLOCK; j++) c[j] = zero_code;
    /* bitsandbytes' bytes: byte k = code 2k << 4 | code 2k+1; a partial last byte padded with zero_code */
    uint8_t *out = codes + start / 2;
    for (int j = 0; j < (len + 1) / 2; j++) out[j] = (uint8_t)((c[2 * j] << 4) | c[2 * j + 1]);
  }
}
