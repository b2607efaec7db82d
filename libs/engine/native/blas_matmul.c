/*
 * The engine's native matmul: a batched float32 product by OpenBLAS on tensors that already live in
 * the tfjs-wasm heap, so the wasm backend's BatchMatMul runs at native BLAS speed without copies;
 * and the products with frozen weights held outside it, in host memory: float32, or NF4 dequantized
 * a panel at a time (nf4_matmul.c).
 *
 * OpenBLAS is opened with dlopen by open(), not linked: it picks its CPU kernels from
 * OPENBLAS_CORETYPE once, when the library loads, so the caller's choice must be in the process
 * environment first (a JavaScript assignment to process.env is not always a real setenv, e.g.
 * under jest).
 */
#include <node_api.h>
#include <cblas.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include "nf4_matmul.h"

#define CHECK(call)                                                      \
  if ((call) != napi_ok) {                                               \
    napi_throw_error(env, NULL, "retort_blas: bad arguments to " #call); \
    return NULL;                                                         \
  }

/* The n arguments of a call to retort_blas.<fname>, in argv; any other count is an error. */
#define ARGS(n, fname)                                                        \
  size_t argc = n;                                                            \
  napi_value argv[n];                                                         \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                \
  if (argc != n) {                                                            \
    napi_throw_error(env, NULL, "retort_blas." fname " takes " #n " arguments"); \
    return NULL;                                                              \
  }

static sgemm_fn sgemm;
static void (*set_num_threads)(int);
static int (*get_num_threads)(void);
static char *(*get_corename)(void);

static int loaded(napi_env env) {
  if (sgemm) return 1;
  napi_throw_error(env, NULL, "retort_blas: call open() first");
  return 0;
}

/* open(coreType | null): sets OPENBLAS_CORETYPE unless it is set already, then loads OpenBLAS. */
static napi_value open_blas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (sgemm) return NULL;
  if (argc == 1 && napi_typeof(env, argv[0], &type) == napi_ok && type == napi_string) {
    char core[64];
    size_t len;
    CHECK(napi_get_value_string_utf8(env, argv[0], core, sizeof core, &len));
    setenv("OPENBLAS_CORETYPE", core, 0);
  }
  const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
  void *lib = NULL;
  for (int i = 0; i < 2 && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    napi_throw_error(env, NULL, dlerror());
    return NULL;
  }
  set_num_threads = (void (*)(int))dlsym(lib, "openblas_set_num_threads");
  get_num_threads = (int (*)(void))dlsym(lib, "openblas_get_num_threads");
  get_corename = (char *(*)(void))dlsym(lib, "openblas_get_corename");
  sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
  if (!sgemm || !set_num_threads || !get_num_threads || !get_corename) {
    sgemm = NULL;
    napi_throw_error(env, NULL, "retort_blas: the OpenBLAS library lacks cblas_sgemm or openblas_* functions");
  }
  return NULL;
}

/* matmul(heap, aOff, bOff, cOff, batch, m, n, k, transA, transB, aStride, bStride): offsets and
 * strides are in floats; a stride of 0 broadcasts that operand over the batch. */
static napi_value matmul(napi_env env, napi_callback_info info) {
  ARGS(12, "matmul");
  if (!loaded(env)) return NULL;
  void *heap;
  size_t heapBytes;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &heap, &heapBytes));
  int64_t v[11];
  for (int i = 0; i < 11; i++) CHECK(napi_get_value_int64(env, argv[i + 1], &v[i]));
  int64_t aOff = v[0], bOff = v[1], cOff = v[2], batch = v[3], m = v[4], n = v[5], k = v[6];
  int transA = v[7] != 0, transB = v[8] != 0;
  int64_t aStride = v[9], bStride = v[10];
  int64_t floats = (int64_t)(heapBytes / sizeof(float));
  int64_t aEnd = aOff + (batch - 1) * aStride + m * k, bEnd = bOff + (batch - 1) * bStride + k * n, cEnd = cOff + batch * m * n;
  if (aOff < 0 || bOff < 0 || cOff < 0 || batch < 1 || m < 0 || n < 0 || k < 0 || aEnd > floats || bEnd > floats || cEnd > floats) {
    napi_throw_range_error(env, NULL, "retort_blas.matmul: operand outside the heap");
    return NULL;
  }
  float *base = (float *)heap;
  for (int64_t i = 0; i < batch; i++) {
    sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f,
          base + aOff + i * aStride, transA ? (blasint)m : (blasint)k, base + bOff + i * bStride, transB ? (blasint)k : (blasint)n, 0.0f,
          base + cOff + i * m * n, (blasint)n);
  }
  return NULL;
}

/* A Float32Array, Int32Array or Uint8Array argument: its data and length in elements. */
static int typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, int64_t *length) {
  napi_typedarray_type type;
  size_t n;
  if (napi_get_typedarray_info(env, v, &type, &n, data, NULL, NULL) != napi_ok || type != want) return 0;
  *length = (int64_t)n;
  return 1;
}

#define TYPED(i, want, data, length)                                                            \
  if (!typed(env, argv[i], want, (void **)&(data), &(length))) {                                \
    napi_throw_type_error(env, NULL, "retort_blas: argument " #i " must be a " #want " array"); \
    return NULL;                                                                                \
  }

/* The operands of x W or x W^T for W [rows, cols]: x [m, k] and y [m, n] must hold exactly that. */
static int product_shapes(napi_env env, int64_t m, int64_t rows, int64_t cols, int transW, int64_t xLen, int64_t yLen) {
  int64_t k = transW ? cols : rows, n = transW ? rows : cols;
  if (m < 0 || rows < 0 || cols < 0 || xLen != m * k || yLen != m * n) {
    napi_throw_range_error(env, NULL, "retort_blas: x or y does not match m and W's shape");
    return 0;
  }
  return 1;
}

/* nf4Matmul(x, y, m, codes, qabsmax, absmax2, rows, cols, transW, offset, nf4, dynamic): y = x W^T
 * (transW) or x W for the NF4 weight W [rows, cols] (nf4_matmul.h); every array a typed array,
 * on the wasm heap or anywhere else (Int32Array words as nf4.ts packs them). */
static napi_value nf4_matmul_js(napi_env env, napi_callback_info info) {
  ARGS(12, "nf4Matmul");
  if (!loaded(env)) return NULL;
  float *x, *y, *absmax2, *nf4, *dynamic;
  uint8_t *codes, *qabsmax;
  int64_t xLen, yLen, codesLen, qabsmaxLen, absmax2Len, nf4Len, dynamicLen, m, rows, cols, transW;
  double offset;
  TYPED(0, napi_float32_array, x, xLen);
  TYPED(1, napi_float32_array, y, yLen);
  CHECK(napi_get_value_int64(env, argv[2], &m));
  TYPED(3, napi_int32_array, codes, codesLen);
  TYPED(4, napi_int32_array, qabsmax, qabsmaxLen);
  TYPED(5, napi_float32_array, absmax2, absmax2Len);
  CHECK(napi_get_value_int64(env, argv[6], &rows));
  CHECK(napi_get_value_int64(env, argv[7], &cols));
  CHECK(napi_get_value_int64(env, argv[8], &transW));
  CHECK(napi_get_value_double(env, argv[9], &offset));
  TYPED(10, napi_float32_array, nf4, nf4Len);
  TYPED(11, napi_float32_array, dynamic, dynamicLen);
  if (!product_shapes(env, m, rows, cols, transW != 0, xLen, yLen)) return NULL;
  int64_t n = rows * cols, blocks = (n + 63) / 64;
  if (4 * codesLen < (n + 1) / 2 || 4 * qabsmaxLen < blocks || absmax2Len < (blocks + 255) / 256 || nf4Len != 16 || dynamicLen != 256) {
    napi_throw_range_error(env, NULL, "retort_blas.nf4Matmul: the NF4 words, the tables or the absmax are too short for W's shape");
    return NULL;
  }
  nf4_weight w = {codes, qabsmax, absmax2, (float)offset, rows, cols, nf4, dynamic};
  if (nf4_matmul(sgemm, &w, x, y, m, transW != 0) != 0) napi_throw_error(env, NULL, "retort_blas.nf4Matmul: out of memory for the dequantization panel");
  return NULL;
}

/* denseMatmul(x, y, m, w, rows, cols, transW): y = x W^T (transW) or x W for a float32 W [rows, cols]
 * held anywhere (typed arrays). */
static napi_value dense_matmul_js(napi_env env, napi_callback_info info) {
  ARGS(7, "denseMatmul");
  if (!loaded(env)) return NULL;
  float *x, *y, *w;
  int64_t xLen, yLen, wLen, m, rows, cols, transW;
  TYPED(0, napi_float32_array, x, xLen);
  TYPED(1, napi_float32_array, y, yLen);
  CHECK(napi_get_value_int64(env, argv[2], &m));
  TYPED(3, napi_float32_array, w, wLen);
  CHECK(napi_get_value_int64(env, argv[4], &rows));
  CHECK(napi_get_value_int64(env, argv[5], &cols));
  CHECK(napi_get_value_int64(env, argv[6], &transW));
  if (!product_shapes(env, m, rows, cols, transW != 0, xLen, yLen)) return NULL;
  if (wLen != rows * cols) {
    napi_throw_range_error(env, NULL, "retort_blas.denseMatmul: w does not hold rows x cols values");
    return NULL;
  }
  if (m == 0 || rows == 0 || cols == 0) {
    for (int64_t i = 0; i < yLen; i++) y[i] = 0;
    return NULL;
  }
  if (transW)
    sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)rows, (blasint)cols, 1.0f, x, (blasint)cols, w, (blasint)cols, 0.0f, y, (blasint)rows);
  else
    sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)m, (blasint)cols, (blasint)rows, 1.0f, x, (blasint)rows, w, (blasint)cols, 0.0f, y, (blasint)cols);
  return NULL;
}

/* nf4Quantize(x, codes, absmax, nf4, zeroCode): the first level of NF4 quantization of x into codes
 * (Int32Array of ceil(n / 8) words, as nf4.ts packs them, padding with zeroCode) and absmax
 * (ceil(n / 64) floats): nf4_quantize in nf4_quantize.c. Needs no OpenBLAS. */
static napi_value nf4_quantize_js(napi_env env, napi_callback_info info) {
  ARGS(5, "nf4Quantize");
  float *x, *absmax, *nf4;
  uint8_t *codes;
  int64_t n, codesLen, absmaxLen, nf4Len;
  int32_t zero;
  TYPED(0, napi_float32_array, x, n);
  TYPED(1, napi_int32_array, codes, codesLen);
  TYPED(2, napi_float32_array, absmax, absmaxLen);
  TYPED(3, napi_float32_array, nf4, nf4Len);
  CHECK(napi_get_value_int32(env, argv[4], &zero));
  if (codesLen != (n + 7) / 8 || absmaxLen != (n + 63) / 64 || nf4Len != 16 || zero < 0 || zero > 15) {
    napi_throw_range_error(env, NULL, "retort_blas.nf4Quantize: codes, absmax or the table do not match x's length");
    return NULL;
  }
  nf4_quantize(x, n, nf4, (uint8_t)zero, codes, absmax);
  for (int64_t i = (n + 1) / 2; i < 4 * codesLen; i++) codes[i] = (uint8_t)((zero << 4) | zero);
  return NULL;
}

/* setThreads(n): OpenBLAS's thread count for this process. */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t threads;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!loaded(env)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &threads));
  set_num_threads(threads);
  return NULL;
}

/* threads(): OpenBLAS's thread count. */
static napi_value threads(napi_env env, napi_callback_info info) {
  napi_value result;
  if (!loaded(env)) return NULL;
  CHECK(napi_create_int32(env, get_num_threads(), &result));
  return result;
}

/* core(): the CPU kernel set OpenBLAS chose (or was told by OPENBLAS_CORETYPE). */
static napi_value core(napi_env env, napi_callback_info info) {
  napi_value result;
  if (!loaded(env)) return NULL;
  CHECK(napi_create_string_utf8(env, get_corename(), NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, open_blas, NULL, NULL, NULL, napi_default, NULL},
      {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
      {"nf4Matmul", NULL, nf4_matmul_js, NULL, NULL, NULL, napi_default, NULL},
      {"denseMatmul", NULL, dense_matmul_js, NULL, NULL, NULL, napi_default, NULL},
      {"nf4Quantize", NULL, nf4_quantize_js, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"core", NULL, core, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
