{
  "targets": [
    {
      "target_name": "retort_blas",
      "sources": ["blas_matmul.c", "nf4_matmul.c", "nf4_quantize.c"],
      "include_dirs": ["<!@(pkg-config --cflags-only-I openblas | sed s/-I//g)"],
      "libraries": ["-ldl"],
      "cflags": ["-O2", "-ffp-contract=off"]
    }
  ]
}
