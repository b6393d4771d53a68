{
  "targets": [
    {
      "target_name": "irnn_kernels",
      "sources": ["native/addon.cc", "native/recurrence.cc", "native/seq_forward.cc", "native/seq_backward.cc", "native/readout.cc", "native/peak.cc", "native/readout_addon.cc", "native/optim.cc", "native/step.cc", "native/step_addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp-simd", "-fno-math-errno", "<!(node -p \"process.env.IRNN_PORTABLE ? '-O3' : '-march=native'\")"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-fopenmp-simd", "-fno-math-errno", "<!(node -p \"process.env.IRNN_PORTABLE ? '-O3' : '-march=native'\")"]
      }
    }
  ]
}
