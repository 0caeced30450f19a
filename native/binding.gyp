{
  "targets": [
    {
      "target_name": "vae_native",
      "sources": ["vae_native.c"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-std=gnu11", "-Wall", "-Wno-unused-parameter"],
      "cflags!": ["-O2"],
      "libraries": ["-lopenblas", "-lpthread"]
    }
  ]
}
