/*
 * The engine's native matmul: a batched float32 product by OpenBLAS on tensors that already live in
 * the tfjs-wasm heap, so the wasm backend's BatchMatMul runs at native BLAS speed without copies;
 * and the QLoRA product with an NF4 weight there (nf4_matmul.c).
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
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!loaded(env)) return NULL;
  if (argc != 12) {
    napi_throw_error(env, NULL, "retort_blas.matmul takes 12 arguments");
    return NULL;
  }
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

static int in_heap(int64_t off, int64_t bytes, size_t heapBytes) { return off >= 0 && bytes >= 0 && off + bytes <= (int64_t)heapBytes; }

/* nf4Matmul(heap, xOff, codesOff, qabsmaxOff, absmax2Off, yOff, m, rows, cols, transW, offset, nf4, dynamic):
 * the product of x with the NF4 weight W [rows, cols] (nf4_matmul.h); offsets are in bytes, the two
 * tables Float32Arrays of 16 and 256 values. */
static napi_value nf4_matmul_js(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!loaded(env)) return NULL;
  if (argc != 13) {
    napi_throw_error(env, NULL, "retort_blas.nf4Matmul takes 13 arguments");
    return NULL;
  }
  void *heap;
  size_t heapBytes;
  CHECK(napi_get_arraybuffer_info(env, argv[0], &heap, &heapBytes));
  int64_t v[9];
  for (int i = 0; i < 9; i++) CHECK(napi_get_value_int64(env, argv[i + 1], &v[i]));
  double offset;
  CHECK(napi_get_value_double(env, argv[10], &offset));
  const float *tables[2];
  for (int t = 0; t < 2; t++) {
    napi_typedarray_type type;
    size_t length;
    void *data;
    CHECK(napi_get_typedarray_info(env, argv[11 + t], &type, &length, &data, NULL, NULL));
    if (type != napi_float32_array || length != (t == 0 ? 16u : 256u)) {
      napi_throw_type_error(env, NULL, "retort_blas.nf4Matmul: the NF4 table (16) and the dynamic map (256) are Float32Arrays");
      return NULL;
    }
    tables[t] = data;
  }
  int64_t xOff = v[0], codesOff = v[1], qabsmaxOff = v[2], absmax2Off = v[3], yOff = v[4], m = v[5], rows = v[6], cols = v[7];
  int transW = v[8] != 0;
  int64_t n = rows * cols, blocks = (n + 63) / 64;
  int64_t xFloats = m * (transW ? cols : rows), yFloats = m * (transW ? rows : cols);
  if (m < 0 || rows < 0 || cols < 0 || !in_heap(xOff, 4 * xFloats, heapBytes) || !in_heap(yOff, 4 * yFloats, heapBytes) ||
      !in_heap(codesOff, (n + 1) / 2, heapBytes) || !in_heap(qabsmaxOff, blocks, heapBytes) || !in_heap(absmax2Off, 4 * ((blocks + 255) / 256), heapBytes) ||
      xOff % 4 || yOff % 4 || absmax2Off % 4) {
    napi_throw_range_error(env, NULL, "retort_blas.nf4Matmul: operand outside the heap");
    return NULL;
  }
  uint8_t *base = heap;
  nf4_weight w = {base + codesOff, base + qabsmaxOff, (const float *)(base + absmax2Off), (float)offset, rows, cols, tables[0], tables[1]};
  if (nf4_matmul(sgemm, &w, (const float *)(base + xOff), (float *)(base + yOff), m, transW) != 0) {
    napi_throw_error(env, NULL, "retort_blas.nf4Matmul: out of memory for the dequantization panel");
  }
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
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"core", NULL, core, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
