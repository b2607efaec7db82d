/*
 * The QLoRA frozen-weight product on the host: NF4 codes dequantized a panel at a time, each panel
 * multiplied by OpenBLAS while it is still in cache. Arithmetic is float32 and unfused, in the order
 * nf4.ts uses (absmax = dynamic[q] * absmax2 + offset; value = NF4[code] * absmax), so the panels
 * equal the host dequantization bit for bit; build with -ffp-contract=off so no FMA joins them.
 */
#include "nf4_matmul.h"
#include <stdlib.h>

#define BLOCK 64
#define NESTED 256
/* About 1 MiB of floats per panel: it stays in L2 between its dequantization and its product. */
#define PANEL_FLOATS (256 * 1024)

static float block_absmax(const nf4_weight *w, int64_t b) {
  float scaled = w->dynamic[w->qabsmax[b]] * w->absmax2[b / NESTED];
  return scaled + w->offset;
}

static float code_at(const nf4_weight *w, int64_t i) {
  uint8_t byte = w->codes[i >> 1];
  return w->nf4[(i & 1) ? (byte & 15) : (byte >> 4)];
}

void nf4_dequantize_range(const nf4_weight *w, int64_t start, int64_t end, float *out) {
  int64_t i = start;
  while (i < end) {
    int64_t b = i / BLOCK;
    int64_t stop = (b + 1) * BLOCK < end ? (b + 1) * BLOCK : end;
    float scale = block_absmax(w, b);
    if (i == b * BLOCK && stop == (b + 1) * BLOCK) {
      /* A whole block: the 16 scaled values once, then a lookup per code, two codes per byte. */
      float table[16];
      for (int j = 0; j < 16; j++) table[j] = w->nf4[j] * scale;
      const uint8_t *bytes = w->codes + (i >> 1);
      float *o = out + (i - start);
      for (int j = 0; j < BLOCK / 2; j++) {
        o[2 * j] = table[bytes[j] >> 4];
        o[2 * j + 1] = table[bytes[j] & 15];
      }
      i = stop;
      continue;
    }
    for (; i < stop; i++) out[i - start] = code_at(w, i) * scale;
  }
}

int nf4_matmul(sgemm_fn sgemm, const nf4_weight *w, const float *x, float *y, int64_t m, int transW) {
  int64_t rows = w->rows, cols = w->cols;
  int64_t panel = PANEL_FLOATS / (cols > 0 ? cols : 1);
  if (panel < 16) panel = 16;
  if (panel > rows) panel = rows;
  if (m == 0 || rows == 0 || cols == 0) return 0;
  float *scratch = malloc(sizeof(float) * panel * cols);
  if (!scratch) return -1;
  for (int64_t r0 = 0; r0 < rows; r0 += panel) {
    int64_t n = r0 + panel <= rows ? panel : rows - r0;
    nf4_dequantize_range(w, r0 * cols, (r0 + n) * cols, scratch);
    if (transW) {
      /* y[:, r0:r0+n] = x [m, cols] P^T, P = W[r0:r0+n, :] */
      sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)cols, 1.0f, x, (blasint)cols, scratch,
            (blasint)cols, 0.0f, y + r0, (blasint)rows);
    } else {
      /* y [m, cols] += x[:, r0:r0+n] P */
      sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)m, (blasint)cols, (blasint)n, 1.0f, x + r0, (blasint)rows, scratch,
            (blasint)cols, r0 == 0 ? 0.0f : 1.0f, y, (blasint)cols);
    }
  }
  free(scratch);
  return 0;
}
