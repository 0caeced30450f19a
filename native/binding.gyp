{
  "variables": {
    "vae_dnnl%": "<!(node -p \"process.env.VAE_DNNL === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "vae_native",
      "sources": ["src/pool.c", "src/kernels.c", "src/conv_dnnl.c", "src/net.c", "src/objective.c", "src/prior_mixture.c", "src/prior_vamp.c", "src/adam.c", "src/rng.c", "src/napi.c"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-std=gnu11", "-Wall", "-Wno-unused-parameter"],
      "cflags!": ["-O2"],
      "libraries": ["-lopenblas", "-lpthread"],
      "conditions": [
        ["vae_dnnl == 1", { "defines": ["VAE_DNNL"], "libraries": ["-ldnnl", "-lgomp"] }]
      ]
    }
  ]
}
