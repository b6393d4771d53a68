{
  "targets": [
    {
      "target_name": "irnn_kernels",
      "sources": ["native/addon.cc", "native/recurrence.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp-simd", "<!(node -p \"process.env.IRNN_PORTABLE ? '-O3' : '-march=native'\")"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-fopenmp-simd", "<!(node -p \"process.env.IRNN_PORTABLE ? '-O3' : '-march=native'\")"]
      }
    }
  ]
}
