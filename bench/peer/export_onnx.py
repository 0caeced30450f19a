#!/usr/bin/python3
"""The PyTorch side of the ONNX round trip: the seed article's Encoder and Decoder (seed 000,
exactly as written there), trained briefly, exported with torch.onnx.export, plus a JSON of a few
inputs and PyTorch's outputs. Its output is committed under test/fixtures/onnx-torch/ (CI does not
install PyTorch), where test/integration/onnx.import.test.ts checks that `vae import-onnx` and the
commands on the imported run reproduce PyTorch's numbers.

    /usr/bin/python3 bench/peer/export_onnx.py [OUT_DIR]     # default test/fixtures/onnx-torch

Training: 30 Adam steps (lr 1e-3) of the seed article's loss (fixed-variance Gaussian, sigma^2 = 1,
analytic KL) on seeded random smooth images, batch 32; enough to move the weights off their
initialisation, a few seconds on a CPU. torch.manual_seed(0): the same files every run on the same
PyTorch build.

Written:
  encoder.onnx   x [batch, 3, 32, 32] -> mu [batch, 2], logvar [batch, 2]   (opset 13, dynamic batch)
  decoder.onnx   z [batch, 2] -> x_mean [batch, 3, 32, 32], in (0, 1)
  cases.json     {"x255": [B][3*32*32] (NCHW images times 255: the inputs are multiples of 1/255, so a PNG holds them exactly),
                  "mu", "logvar": [B][2], "z": [K][2], "decoded": [K][3*32*32] (NCHW), "torch": version}

Install on Debian: apt-get install python3-torch
"""
import json
import math
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


# ---- the seed article's model, verbatim

class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(
            # Input is (B, 3, 32, 32)
            nn.Conv2d(3, 32, 3, stride=2, padding=1),  # -> (B, 32, 16, 16)
            nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),  # -> (B, 64, 8, 8)
            nn.ReLU(),
            nn.Conv2d(64, 128, 3, stride=2, padding=1),  # -> (B, 128, 4, 4)
            nn.ReLU(),
            nn.Flatten(),  # -> (B, 2048)
        )
        self.fc_mu = nn.Linear(2048, 2)  # -> (B, 2)
        self.fc_logvar = nn.Linear(2048, 2)  # -> (B, 2)

    def forward(self, x):
        h = self.conv(x)
        return self.fc_mu(h), self.fc_logvar(h)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Sequential(
            # Input is (B, 2)
            nn.Linear(2, 2048),  # -> (B, 2048)
            nn.ReLU(),
        )
        self.deconv = nn.Sequential(
            # Input is (B, 2048)
            nn.Unflatten(1, (128, 4, 4)),  # -> (B, 128, 4, 4)
            nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1),  # -> (B, 64, 8, 8)
            nn.ReLU(),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1),  # -> (B, 32, 16, 16)
            nn.ReLU(),
            nn.ConvTranspose2d(32, 3, 4, stride=2, padding=1),  # -> (B, 3, 32, 32)
            nn.Sigmoid(),
        )

    def forward(self, z):
        return self.deconv(self.fc(z))


class ReshapeUnflatten(nn.Module):
    """nn.Unflatten(1, shape) as a reshape: the same values. PyTorch 1.13's exporter has no symbolic
    for aten::unflatten (newer versions export it as this Reshape), so the decoder's first deconv
    stage is swapped for it only when exporting."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape((-1,) + self.shape)


# ---- data, loss, training

def smooth_images(n, gen):
    """Random smooth colour images in [0, 1]: a colour plus a soft blob, quantised to multiples of 1/255."""
    ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    base = torch.rand(n, 3, 1, 1, generator=gen)
    blob_colour = torch.rand(n, 3, 1, 1, generator=gen)
    cy, cx = (torch.rand(n, 1, 1, generator=gen) * 32, torch.rand(n, 1, 1, generator=gen) * 32)
    r = 4 + torch.rand(n, 1, 1, generator=gen) * 10
    w = torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * r ** 2)).unsqueeze(1)
    img = base * (1 - w) + blob_colour * w
    return torch.round(img * 255) / 255


def loss_fn(x, mu, logvar, x_mean):
    d = x[0].numel()
    sq = (x - x_mean).pow(2).flatten(1).sum(1)
    log_px = -0.5 * (d * math.log(2 * math.pi) + sq)  # sigma^2 = 1
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
    return (kl - log_px).mean()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "onnx-torch")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    enc, dec = Encoder(), Decoder()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    for _ in range(30):
        x = smooth_images(32, gen)
        mu, logvar = enc(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        loss = loss_fn(x, mu, logvar, dec(z))
        opt.zero_grad()
        loss.backward()
        opt.step()
    enc.eval()
    dec.eval()
    if isinstance(dec.deconv[0], nn.Unflatten):
        dec.deconv[0] = ReshapeUnflatten(dec.deconv[0].unflattened_size)

    x = smooth_images(3, gen)
    z = torch.tensor([[0.0, 0.0], [1.5, -0.5], [-2.0, 1.0], [0.3, 2.5]])
    enc_path = os.path.join(out, "encoder.onnx")
    dec_path = os.path.join(out, "decoder.onnx")
    torch.onnx.export(enc, x, enc_path, input_names=["x"], output_names=["mu", "logvar"], opset_version=13,
                      dynamic_axes={"x": {0: "batch"}, "mu": {0: "batch"}, "logvar": {0: "batch"}})
    torch.onnx.export(dec, z, dec_path, input_names=["z"], output_names=["x_mean"], opset_version=13,
                      dynamic_axes={"z": {0: "batch"}, "x_mean": {0: "batch"}})
    with torch.no_grad():
        mu, logvar = enc(x)
        decoded = dec(z)

    def rows(t):
        # 9 significant digits round-trip a float32 exactly
        return [[float(f"{v:.9g}") for v in r] for r in t.flatten(1).tolist()]

    cases = {
        "torch": torch.__version__,
        "x255": [[int(round(v * 255)) for v in r] for r in x.flatten(1).tolist()],
        "mu": rows(mu), "logvar": rows(logvar),
        "z": rows(z), "decoded": rows(decoded),
    }
    tmp = os.path.join(out, "cases.json.tmp")
    with open(tmp, "w") as f:
        json.dump(cases, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, os.path.join(out, "cases.json"))
    sizes = {f: os.path.getsize(os.path.join(out, f)) for f in ("encoder.onnx", "decoder.onnx", "cases.json")}
    print(f"wrote {out}: " + ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in sizes.items()) + f" (final training loss {loss.item():.1f})")


if __name__ == "__main__":
    main()
