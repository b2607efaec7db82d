#ifndef RETORT_NF4_MATMUL_H
#define RETORT_NF4_MATMUL_H
#include <cblas.h>
#include <stdint.h>

typedef void (*sgemm_fn)(const enum CBLAS_ORDER, const enum CBLAS_TRANSPOSE, const enum CBLAS_TRANSPOSE, const blasint, const blasint,
                         const blasint, const float, const float *, const blasint, const float *, const blasint, const float, float *,
                         const blasint);

/* An NF4 weight W [rows, cols] (row-major) in the engine's packing (nf4.ts). */
typedef struct {
  const uint8_t *codes;   /* bitsandbytes' bytes: byte k holds code 2k (high nibble) and 2k+1 (low) */
  const uint8_t *qabsmax; /* one 8-bit code per block of 64 */
  const float *absmax2;   /* one float per 256 blocks */
  float offset;
  int64_t rows, cols;
  const float *nf4;     /* the 16 NF4 values */
  const float *dynamic; /* bitsandbytes' 256-entry dynamic map */
} nf4_weight;

/* Elements [start, end) of W, dequantized into out (end - start floats); bit-identical to nf4.ts. */
void nf4_dequantize_range(const nf4_weight *w, int64_t start, int64_t end, float *out);

/*
 * transW: y [m, rows] = x [m, cols] W^T; otherwise y [m, cols] = x [m, rows] W.
 * W is dequantized one panel of rows at a time into a scratch buffer and multiplied by sgemm, so the
 * float copy of W never exists whole. Returns 0, or -1 when the scratch buffer cannot be allocated.
 */
int nf4_matmul(sgemm_fn sgemm, const nf4_weight *w, const float *x, float *y, int64_t m, int transW);

/*
 * The first level of NF4 quantization of x (n values): per block of 64 its absmax and the nearest of
 * the 16 values of nf4 for each weight (first on ties), packed two to a byte as bitsandbytes does;
 * zero blocks and padding get zero_code. codes holds (n + 1) / 2 bytes, absmax ceil(n / 64) floats.
 */
void nf4_quantize(const float *x, int64_t n, const float *nf4, uint8_t zero_code, uint8_t *codes, float *absmax);

#endif
