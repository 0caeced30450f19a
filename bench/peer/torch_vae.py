#!/usr/bin/python3
"""PyTorch peer for `npm run bench -- --peer`: the same two VAEs, loss and Adam settings as ours.

Models (src/models/build.ts):
  conv  seed 000: 3x32x32, Conv2d(k3, s2, p1) 32/64/128 + ReLU, Linear 2048 -> mu, logvar (2);
        Linear 2 -> 2048 + ReLU, ConvTranspose2d(k4, s2, p1) 64/32 + ReLU, 3 + sigmoid.
        (PyTorch's padding=1 equals our zero-pad 1 + valid conv, and tfjs 'same' for k4 s2.)
        Loss: fixed-variance Gaussian, sigma^2 = 1, with its constant.
  mlp   784-400-20, ReLU, Bernoulli from logits.
Loss = mean over the batch of -(log p(x|z) - KL), analytic KL, one sample z = mu + exp(logvar/2) eps.
Adam: lr 1e-3, betas (0.9, 0.999), eps 1e-7 (tfjs's default; PyTorch's is 1e-8).
Random data of the right shape: uniform pixels (conv), {0,1} pixels (mlp).

Threads: OPENBLAS_NUM_THREADS=1 (set here before torch is imported) and torch.set_num_threads(2)
(PEER_THREADS=N changes the 2; bench/run.ts --threads=N sets it).

Protocol (used by bench/run.ts): reads lines "MODEL BATCH WARMUP STEPS" on stdin and answers each
with one JSON line {"model", "batch", "ms": [per-step milliseconds]}. The model and optimizer of a
(model, batch) pair are built once and kept, so later rounds continue training. "quit" ends.
With arguments (python3 torch_vae.py conv 128 3 20) it runs once and prints the result.

Install on Debian: apt-get install python3-torch libopenblas0-pthread
"""
import json
import math
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(int(os.environ.get("PEER_THREADS", "2")))
LOG_2PI = math.log(2 * math.pi)


class ConvVae(nn.Module):
    def __init__(self, channels=3, size=32, filters=(32, 64, 128), latent=2):
        super().__init__()
        enc, c = [], channels
        for f in filters:
            enc += [nn.Conv2d(c, f, 3, 2, 1), nn.ReLU()]
            c = f
        self.enc = nn.Sequential(*enc, nn.Flatten())
        self.s = size // 2 ** len(filters)
        feat = c * self.s * self.s
        self.mu = nn.Linear(feat, latent)
        self.logvar = nn.Linear(feat, latent)
        self.fc = nn.Linear(latent, feat)
        self.last = c
        dec = []
        outs = list(reversed(filters[:-1])) + [channels]
        for i, f in enumerate(outs):
            dec += [nn.ConvTranspose2d(c, f, 4, 2, 1), nn.ReLU() if i < len(outs) - 1 else nn.Sigmoid()]
            c = f
        self.dec = nn.Sequential(*dec)

    def forward(self, x, eps):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        g = F.relu(self.fc(z)).view(-1, self.last, self.s, self.s)
        return self.dec(g), mu, logvar

    @staticmethod
    def log_px(x, mean):  # Gaussian, sigma^2 = 1, with its constant
        d = x[0].numel()
        return -0.5 * ((x - mean) ** 2).flatten(1).sum(1) - 0.5 * d * LOG_2PI


class MlpVae(nn.Module):
    def __init__(self, d=784, hidden=400, latent=20):
        super().__init__()
        self.enc = nn.Linear(d, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec1 = nn.Linear(latent, hidden)
        self.out = nn.Linear(hidden, d)

    def forward(self, x, eps):
        h = F.relu(self.enc(x.flatten(1)))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        return self.out(F.relu(self.dec1(z))), mu, logvar

    @staticmethod
    def log_px(x, logits):  # Bernoulli from logits
        return -F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1)


class Case:
    def __init__(self, model, batch):
        torch.manual_seed(0)
        if model == "conv":
            self.net, self.x, latent = ConvVae(), torch.rand(batch, 3, 32, 32), 2
        elif model == "mlp":
            self.net, self.x, latent = MlpVae(), (torch.rand(batch, 1, 28, 28) < 0.5).float(), 20
        else:
            raise ValueError(f"unknown model {model}")
        self.batch, self.latent = batch, latent
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)

    def step(self):
        eps = torch.randn(self.batch, self.latent)
        self.opt.zero_grad(set_to_none=True)
        out, mu, logvar = self.net(self.x, eps)
        recon = self.net.log_px(self.x, out)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1)
        loss = (kl - recon).mean()
        loss.backward()
        self.opt.step()
        return loss.item()  # wait for the step, as ours reads its loss every step

    def run(self, warmup, steps):
        for _ in range(warmup):
            self.step()
        ms = []
        for _ in range(steps):
            t = time.perf_counter()
            self.step()
            ms.append((time.perf_counter() - t) * 1000)
        return ms


def main():
    cases = {}

    def answer(model, batch, warmup, steps):
        key = (model, batch)
        if key not in cases:
            cases[key] = Case(model, batch)
        ms = cases[key].run(warmup, steps)
        return json.dumps({"model": model, "batch": batch, "ms": ms, "torch": torch.__version__, "threads": torch.get_num_threads()})

    if len(sys.argv) > 1:
        model, batch, warmup, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        print(answer(model, batch, warmup, steps), flush=True)
        return
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            break
        try:
            print(answer(parts[0], int(parts[1]), int(parts[2]), int(parts[3])), flush=True)
        except Exception as e:  # noqa: BLE001 - report and keep serving
            print(json.dumps({"error": str(e)}), flush=True)


if __name__ == "__main__":
    main()
