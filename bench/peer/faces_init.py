#!/usr/bin/python3
"""Ours vs PyTorch 1.13 under both weight initialisations, on the same data: the per-epoch table.

One command prints the whole comparison (after `npm run build`; PyTorch is Debian's python3-torch,
so run it with /usr/bin/python3, not a pyenv python3):

  # faces (seed 000's conv VAE): validation -ELBO at epochs 10, 30, 100, two seeds, four columns each
  nice /usr/bin/python3 bench/peer/faces_init.py --epochs 100 --seeds 0,1 --rows 10,30,100 --keep-runs runs/peer-faces
  # MNIST 784-400-20 MLP (Bernoulli, dynamic binarisation, batch 128): validation -ELBO per epoch, test -ELBO after 10
  nice /usr/bin/python3 bench/peer/faces_init.py --dataset mnist --epochs 10 --seeds 0,1 --keep-runs runs/peer-mnist

Both sides train on exactly the same images, exported by dist/bench/peer/exportFaces.js from our
loaders (faces: the seed's generated images; mnist: the 50,000 training images grey, validation
and test binarised once exactly as ours evaluates them):
  - ours:    `node bin/vae.js train --dataset D [--model mlp --batch-size 128] --init INIT --seed S --epochs E`
             (the engine it picks: native where built), per-epoch validation from run.json;
             mnist: test -ELBO by `node bin/vae.js eval RUN --json` (the best epoch's weights)
  - PyTorch: ConvVae / MlpVae of torch_vae.py, same loss (faces: Gaussian sigma^2 = 1 with its
             constant; mnist: Bernoulli from logits, each batch binarised afresh), analytic KL, one
             sample, Adam lr 1e-3, betas (0.9, 0.999), eps 1e-7 (tfjs's), batch 64 (faces) / 128
             (mnist), shuffled every epoch, validation -ELBO after every epoch with one fixed eps
             draw (as ours does), mnist: test -ELBO after the last epoch
with INIT = pytorch (PyTorch's own defaults: Kaiming-uniform a=sqrt(5), i.e. U(+-1/sqrt(fan_in)),
biases U(+-1/sqrt(fan_in))) and glorot (tfjs's defaults: Xavier-uniform weights, zero biases).
Values are nats per image (faces include the constant 1/2 d log 2 pi = 2822.98).

Options: --inits pytorch,glorot (both sides)  --torch-inits (PyTorch's, default: --inits)
         --rows 10,30,100 (table rows; default: epoch 1, every --every 5, 10 and the last)
         --only ours|torch (train one side; with --keep-runs a later call without --only prints both)
         --json FILE (rewritten after every run)  --keep-runs DIR (finished runs and PyTorch curves
         there are reused, so an interrupted benchmark resumes where it stopped; for faces a longer
         run also serves a shorter table: --epochs 30 --seeds 0,1,2,3,4 after the 100-epoch command
         trains only seeds 2-4).
Runs go sequentially: ours first, then PyTorch's (PEER_THREADS=N sets PyTorch's threads, default 2).
Below the table: the mean over seeds of each (side, init), the wall time of every run, the load
average and the CPU model.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_vae import ConvVae, MlpVae, torch  # noqa: E402  (sets the thread counts)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
nn = torch.nn
FAMILY = {  # dataset -> (model class, latent size, batch, extra `vae train` options)
    "faces": (ConvVae, 2, 64, []),
    "mnist": (MlpVae, 20, 128, ["--model", "mlp", "--batch-size", "128"]),
}


def export_data(dataset, seed, folder):
    """(train, validation, test) tensors, NCHW, exactly what ours trains and evaluates on."""
    base = os.path.join(folder, f"{dataset}-s{seed}")
    if not os.path.exists(base + ".bin") or not os.path.exists(base + ".json"):
        subprocess.run(["node", os.path.join(ROOT, "dist/bench/peer/exportFaces.js"), "--dataset", dataset, "--seed", str(seed), "--out", base],
                       check=True, stdout=subprocess.DEVNULL)
    with open(base + ".json") as f:
        h = json.load(f)
    size = h["height"] * h["width"] * h["channels"]
    x = torch.from_numpy(np.fromfile(base + ".bin", dtype="<f4").copy())
    x = x.view(-1, h["height"], h["width"], h["channels"]).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    n, v, t = h["train"], h["validation"], h.get("test", 0)
    assert x.shape[0] * size == x.numel() and x.shape[0] == n + v + t
    return x[:n], x[n:n + v], x[n + v:]


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


def evaluate(net, x, eps, batch=1000):
    with torch.no_grad():
        return torch.cat([neg_elbo(net, x[s:s + batch], eps[s:s + batch]) for s in range(0, x.shape[0], batch)]).mean().item()


def train_torch(dataset, train, val, test, init, seed, epochs):
    model, latent, batch, _ = FAMILY[dataset]
    torch.manual_seed(seed)
    net = model()
    if init == "glorot":
        glorot_(net)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    gen = torch.Generator().manual_seed(seed)
    fixed = torch.Generator().manual_seed(seed ^ 0x5EED)
    val_eps = torch.randn(val.shape[0], latent, generator=fixed)
    test_eps = torch.randn(test.shape[0], latent, generator=fixed)
    curve = []
    for _ in range(epochs):
        net.train()
        order = torch.randperm(train.shape[0], generator=gen)
        for s in range(0, train.shape[0], batch):
            xb = train[order[s:s + batch]]
            if dataset == "mnist":  # dynamic binarisation, a fresh sample every batch
                xb = torch.bernoulli(xb, generator=gen)
            loss = neg_elbo(net, xb, torch.randn(xb.shape[0], latent, generator=gen)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        curve.append(evaluate(net, val, val_eps))
    return {"curve": curve, "test": evaluate(net, test, test_eps) if test.shape[0] else None}


def train_torch_cached(dataset, folder, init, seed, epochs):
    """PyTorch's curve, kept as torch-INIT-sS.json in the runs folder (reused by later invocations)."""
    cache = os.path.join(folder, f"torch-{init}-s{seed}.json")
    if os.path.exists(cache):
        with open(cache) as f:
            c = json.load(f)
        if isinstance(c, list):  # the format before wall times were kept
            c = {"curve": c, "seconds": None}
        if len(c["curve"]) == epochs or (len(c["curve"]) > epochs and dataset == "faces"):
            return {**c, "curve": c["curve"][:epochs], "trained": len(c["curve"])}
    train, val, test = export_data(dataset, seed, folder)
    t = time.time()
    c = train_torch(dataset, train, val, test, init, seed, epochs)
    c.update(seconds=time.time() - t, load=os.getloadavg(), torch=torch.__version__, threads=torch.get_num_threads())
    with open(cache + ".tmp", "w") as f:
        json.dump(c, f)
    os.replace(cache + ".tmp", cache)
    return c


def train_ours(dataset, init, seed, epochs, folder):
    """Our curve (run.json history) and, for datasets with a test split, the test -ELBO by `vae eval`."""
    out = os.path.join(folder, f"ours-{init}-s{seed}")
    timing = out + ".time.json"
    run_file = os.path.join(out, "run.json")

    def finished():
        if not os.path.exists(run_file):
            return None
        with open(run_file) as f:
            run = json.load(f)
        done = run.get("epochsDone", 0)
        # a longer faces run serves a shorter table (its first epochs are the shorter run's exactly:
        # no schedule depends on the epoch count); a test score needs the exact run
        ok = done == epochs or (done > epochs and dataset == "faces")
        return run if ok and len(run["history"]) == done else None

    run = finished()
    if run is None:
        t = time.time()
        subprocess.run(["node", os.path.join(ROOT, "bin/vae.js"), "train", "--dataset", dataset, *FAMILY[dataset][3], "--init", init,
                        "--seed", str(seed), "--epochs", str(epochs), "--out", out, "--quiet"], check=True, cwd=ROOT)
        with open(timing, "w") as f:
            json.dump({"seconds": time.time() - t, "load": os.getloadavg()}, f)
        run = finished()
    info = {"curve": [e["validation"]["loss"] for e in run["history"][:epochs]], "engine": run["history"][-1].get("engine"), "test": None,
            "seconds": None, "load": None, "trained": run["epochsDone"]}
    if os.path.exists(timing):
        with open(timing) as f:
            info.update(json.load(f))
    else:  # trained by a `vae train` started elsewhere: the sum of its epoch times (no start-up)
        info["seconds"] = sum(e.get("seconds", 0) for e in run["history"])
        info["note"] = "sum of its epoch times"
    if dataset == "mnist":
        if info.get("test") is None:
            r = subprocess.run(["node", os.path.join(ROOT, "bin/vae.js"), "eval", out, "--json"], check=True, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            info["test"] = json.loads(r.stdout)["negElbo"]
            with open(timing, "w") as f:
                json.dump({k: info[k] for k in ("seconds", "load", "test")}, f)
    return info


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", choices=sorted(FAMILY), default="faces")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--inits", default="pytorch,glorot")
    ap.add_argument("--torch-inits")
    ap.add_argument("--only", choices=["ours", "torch"], help="train only one side (with --keep-runs, a later run without --only prints both)")
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--rows", help="comma-separated epochs to print, e.g. 10,30,100")
    ap.add_argument("--json")
    ap.add_argument("--keep-runs")
    a = ap.parse_args()
    epochs = a.epochs or (30 if a.dataset == "faces" else 10)
    seeds = [int(s) for s in a.seeds.split(",")]
    inits = a.inits.split(",")
    folder = a.keep_runs or tempfile.mkdtemp(prefix=f"{a.dataset}-init-")
    os.makedirs(folder, exist_ok=True)
    torch_inits = (a.torch_inits or a.inits).split(",")
    rows = [int(r) for r in a.rows.split(",")] if a.rows else [e for e in range(1, epochs + 1) if e % a.every == 0 or e in (1, 10, epochs)]
    if any(r < 1 or r > epochs for r in rows):
        ap.error(f"--rows must lie in 1..{epochs}")
    runs = {}
    load_start = os.getloadavg()

    def save():
        if a.json:
            with open(a.json + ".tmp", "w") as f:
                json.dump({"dataset": a.dataset, "epochs": epochs, "torch": torch.__version__, "threads": torch.get_num_threads(),
                           "runs": {f"{w}/{i}/s{s}": v for (w, i, s), v in runs.items()}}, f)
            os.replace(a.json + ".tmp", a.json)

    for seed in seeds if a.only != "torch" else []:
        for init in inits:
            print(f"{time.strftime('%H:%M:%S')} seed {seed}, init {init}: ours ...", file=sys.stderr, flush=True)
            runs[("ours", init, seed)] = train_ours(a.dataset, init, seed, epochs, folder)
            save()
    for seed in seeds if a.only != "ours" else []:
        for init in torch_inits:
            print(f"{time.strftime('%H:%M:%S')} seed {seed}, init {init}: PyTorch {torch.__version__}, {torch.get_num_threads()} threads ...",
                  file=sys.stderr, flush=True)
            runs[("torch", init, seed)] = train_torch_cached(a.dataset, folder, init, seed, epochs)
            save()

    all_inits = list(dict.fromkeys(inits + torch_inits))
    cols = [(w, i, s) for s in seeds for i in all_inits for w in ("ours", "torch") if (w, i, s) in runs]
    name = lambda w, i: f"{'ours' if w == 'ours' else 'PyTorch'} {i}"  # noqa: E731
    what = "validation -ELBO (nats per image, incl. 1/2 d log 2pi = 2822.98), faces conv VAE, batch 64" if a.dataset == "faces" \
        else "validation -ELBO (nats per image), MNIST 784-400-20, Bernoulli, dynamic binarisation, batch 128"
    print(f"{what}, Adam 1e-3, {epochs} epochs")
    print("| epoch | " + " | ".join(f"{name(w, i)} s{s}" for w, i, s in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for e in rows:
        print(f"| {e} | " + " | ".join(f"{runs[c]['curve'][e - 1]:.1f}" for c in cols) + " |")
    if any(runs[c].get("test") is not None for c in cols):
        print(f"| test ({epochs}) | " + " | ".join(f"{runs[c]['test']:.2f}" if runs[c].get("test") is not None else "-" for c in cols) + " |")

    # mean over seeds per (side, init), and our gap to PyTorch under the same init
    pairs = [(w, i) for i in all_inits for w in ("ours", "torch") if all((w, i, s) in runs for s in seeds)]
    if len(seeds) > 1 and pairs:
        print(f"\nmean over seeds {a.seeds}")
        gaps = [i for i in all_inits if ("ours", i) in pairs and ("torch", i) in pairs]
        print("| epoch | " + " | ".join([name(w, i) for w, i in pairs] + [f"ours - PyTorch, {i}" for i in gaps]) + " |")
        print("|---" * (len(pairs) + len(gaps) + 1) + "|")
        mean = lambda w, i, e: float(np.mean([runs[(w, i, s)]["curve"][e - 1] for s in seeds]))  # noqa: E731
        for e in rows:
            print(f"| {e} | " + " | ".join([f"{mean(w, i, e):.1f}" for w, i in pairs]
                                           + [f"{mean('ours', i, e) - mean('torch', i, e):+.1f}" for i in gaps]) + " |")

    print("\nwall time of each run (training + per-epoch validation; ours: the whole `vae train` process):")
    for c in cols:
        r = runs[c]
        sec = f"{r['seconds']:.0f} s" if r.get("seconds") else "not recorded"
        if r.get("note"):
            sec += f" ({r['note']})"
        if r.get("trained", epochs) != epochs:
            sec += f" (for the {r['trained']}-epoch run this table reads)"
        load = f", load at its end {r['load'][0]:.1f}" if r.get("load") else ""
        extra = f", engine {r['engine']}" if r.get("engine") else f", torch {r.get('torch', torch.__version__)}, {r.get('threads', '?')} threads"
        print(f"  {name(*c[:2])} s{c[2]}: {sec}{load}{extra}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; load average at the start {load_start[0]:.2f} / {load_start[1]:.2f} / "
          f"{load_start[2]:.2f}, at the end {' / '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"command: /usr/bin/python3 bench/peer/faces_init.py {' '.join(sys.argv[1:])}")
    print(f"runs in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
