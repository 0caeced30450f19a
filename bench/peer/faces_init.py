#!/usr/bin/python3
"""Faces: ours vs PyTorch 1.13, per-epoch validation -ELBO, under both weight initialisations.

Trains the seed-000 conv VAE on exactly the same faces data (exported by
dist/bench/peer/exportFaces.js from our generator) with
  - ours:    `node bin/vae.js train --dataset faces --init INIT --seed S --epochs E` (run.json history)
  - PyTorch: ConvVae of torch_vae.py, same loss (Gaussian sigma^2 = 1 with its constant, analytic KL,
             one sample), batch 64, Adam lr 1e-3, eps 1e-7, shuffled every epoch, validation -ELBO
             after every epoch with one fixed eps draw (as ours does),
with INIT = pytorch (PyTorch's own defaults: Kaiming-uniform a=sqrt(5), i.e. U(+-1/sqrt(fan_in)),
biases U(+-1/sqrt(fan_in))) and glorot (tfjs's defaults: Xavier-uniform weights, zero biases),
and prints the validation -ELBO per epoch side by side (nats per image, including the constant
1/2 d log 2 pi = 2822.98).

  /usr/bin/python3 bench/peer/faces_init.py --epochs 30 --seeds 0,1     (after `npm run build`)
Options: --inits pytorch,glorot (ours)  --torch-inits (default: --inits)  --every 5 (table rows)
         --json FILE (rewritten after every run, so a stopped benchmark keeps what it measured)
         --keep-runs DIR.  Our runs go first, then PyTorch's (PEER_THREADS=1 suits a busy machine).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_vae import ConvVae, torch  # noqa: E402  (sets the thread counts)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
nn = torch.nn


def export_faces(seed, folder):
    base = os.path.join(folder, f"faces-s{seed}")
    if not os.path.exists(base + ".bin"):
        subprocess.run(["node", os.path.join(ROOT, "dist/bench/peer/exportFaces.js"), "--seed", str(seed), "--out", base],
                       check=True, stdout=subprocess.DEVNULL)
    with open(base + ".json") as f:
        h = json.load(f)
    size = h["height"] * h["width"] * h["channels"]
    x = torch.from_numpy(np.fromfile(base + ".bin", dtype="<f4").copy())
    x = x.view(-1, h["height"], h["width"], h["channels"]).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    assert x.shape[0] * size == x.numel() and x.shape[0] == h["train"] + h["validation"]
    return x[: h["train"]], x[h["train"]:]


def glorot_(net):
    """tfjs's defaults: Glorot-uniform kernels (fans as tfjs computes them; for a transposed conv
    the sum fan_in + fan_out is the same either way), zero biases."""
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def neg_elbo(net, x, eps):
    out, mu, logvar = net(x, eps)
    recon = net.log_px(x, out)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)
    return kl - recon


def train_torch_cached(folder, init, seed, epochs):
    """PyTorch's curve, kept as torch-INIT-sS.json in the runs folder (reused by later invocations)."""
    cache = os.path.join(folder, f"torch-{init}-s{seed}.json")
    if os.path.exists(cache):
        with open(cache) as f:
            c = json.load(f)
        if len(c) == epochs:
            return c
    train, val = export_faces(seed, folder)
    c = train_torch(train, val, init, seed, epochs)
    with open(cache + ".tmp", "w") as f:
        json.dump(c, f)
    os.replace(cache + ".tmp", cache)
    return c


def train_torch(train, val, init, seed, epochs, batch=64):
    torch.manual_seed(seed)
    net = ConvVae()
    if init == "glorot":
        glorot_(net)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    gen = torch.Generator().manual_seed(seed)
    val_eps = torch.randn(val.shape[0], 2, generator=torch.Generator().manual_seed(seed ^ 0x5EED))
    curve = []
    for _ in range(epochs):
        net.train()
        order = torch.randperm(train.shape[0], generator=gen)
        for s in range(0, train.shape[0], batch):
            xb = train[order[s:s + batch]]
            loss = neg_elbo(net, xb, torch.randn(xb.shape[0], 2, generator=gen)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        with torch.no_grad():
            curve.append(neg_elbo(net, val, val_eps).mean().item())
    return curve


def train_ours(init, seed, epochs, folder):
    out = os.path.join(folder, f"ours-{init}-s{seed}")
    done = os.path.join(out, "run.json")
    if os.path.exists(done):  # a finished run of a previous invocation (--keep-runs): reuse it
        with open(done) as f:
            run = json.load(f)
        if run.get("epochsDone") == epochs and len(run["history"]) == epochs:
            return [e["validation"]["loss"] for e in run["history"]], run.get("backend")
    subprocess.run(["node", os.path.join(ROOT, "bin/vae.js"), "train", "--dataset", "faces", "--init", init, "--seed", str(seed),
                    "--epochs", str(epochs), "--out", out, "--quiet"], check=True, cwd=ROOT)
    with open(os.path.join(out, "run.json")) as f:
        run = json.load(f)
    return [e["validation"]["loss"] for e in run["history"]], run.get("backend")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--inits", default="pytorch,glorot")
    ap.add_argument("--torch-inits")
    ap.add_argument("--only", choices=["ours", "torch"], help="train only one side (with --keep-runs, a later run without --only prints both)")
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--keep-runs")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    inits = a.inits.split(",")
    folder = a.keep_runs or tempfile.mkdtemp(prefix="faces-init-")
    os.makedirs(folder, exist_ok=True)
    torch_inits = (a.torch_inits or a.inits).split(",")
    curves = {}

    def save():
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"epochs": a.epochs, "torch": torch.__version__, "threads": torch.get_num_threads(),
                           "curves": {f"{w}/{i}/s{s}": v for (w, i, s), v in curves.items()}}, f)

    for seed in seeds if a.only != "torch" else []:
        for init in inits:
            print(f"seed {seed}, init {init}: ours ...", file=sys.stderr, flush=True)
            curves[("ours", init, seed)], _ = train_ours(init, seed, a.epochs, folder)
            save()
    for seed in seeds if a.only != "ours" else []:
        for init in torch_inits:
            print(f"seed {seed}, init {init}: PyTorch {torch.__version__}, {torch.get_num_threads()} threads ...", file=sys.stderr, flush=True)
            curves[("torch", init, seed)] = train_torch_cached(folder, init, seed, a.epochs)
            save()
    cols = [(who, init, seed) for seed in seeds for init in dict.fromkeys(inits + torch_inits) for who in ("ours", "torch") if (who, init, seed) in curves]
    print("validation -ELBO (nats per image, incl. 2822.98), faces, batch 64, Adam 1e-3")
    print("| epoch | " + " | ".join(f"{'ours' if w == 'ours' else 'PyTorch'} {i} s{s}" for w, i, s in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for e in range(a.epochs):
        if (e + 1) % a.every == 0 or e + 1 in (1, 10, a.epochs):
            print(f"| {e + 1} | " + " | ".join(f"{curves[c][e]:.1f}" for c in cols) + " |")
    print(f"runs in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
