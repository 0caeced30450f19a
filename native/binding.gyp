{
  "targets": [
    {
      "target_name": "vae_native",
      "sources": ["src/pool.c", "src/kernels.c", "src/net.c", "src/objective.c", "src/adam.c", "src/rng.c", "src/napi.c"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-std=gnu11", "-Wall", "-Wno-unused-parameter"],
      "cflags!": ["-O2"],
      "libraries": ["-lopenblas", "-lpthread"]
    }
  ]
}
