/*
 * One N-API function: a batched float32 matrix product by OpenBLAS on tensors that already live in
 * the tfjs-wasm heap, so the wasm backend's BatchMatMul runs at native BLAS speed without copies.
 */
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>

#define CHECK(call)                                                   \
  if ((call) != napi_ok) {                                            \
    napi_throw_error(env, NULL, "retort_blas: bad arguments to " #call); \
    return NULL;                                                      \
  }

/* matmul(heap, aOff, bOff, cOff, batch, m, n, k, transA, transB, aStride, bStride): offsets and
 * strides are in floats; a stride of 0 broadcasts that operand over the batch. */
static napi_value matmul(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
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
  if (aOff < 0 || bOff < 0 || cOff < 0 || aEnd > floats || bEnd > floats || cEnd > floats) {
    napi_throw_range_error(env, NULL, "retort_blas.matmul: operand outside the heap");
    return NULL;
  }
  float *base = (float *)heap;
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                base + aOff + i * aStride, transA ? (int)m : (int)k, base + bOff + i * bStride, transB ? (int)k : (int)n, 0.0f,
                base + cOff + i * m * n, (int)n);
  }
  return NULL;
}

/* setThreads(n): OpenBLAS's thread count for this process. */
static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t threads;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &threads));
  openblas_set_num_threads(threads);
  return NULL;
}

/* threads(): OpenBLAS's thread count. */
static napi_value get_threads(napi_env env, napi_callback_info info) {
  napi_value result;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &result));
  return result;
}

/* core(): the CPU kernel set OpenBLAS chose (or was told by OPENBLAS_CORETYPE). */
static napi_value get_core(napi_env env, napi_callback_info info) {
  napi_value result;
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"matmul", NULL, matmul, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, get_threads, NULL, NULL, NULL, napi_default, NULL},
      {"core", NULL, get_core, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 4, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
