#!/usr/bin/env python3
"""PyTorch twin of kf-trainer's training loop, for bench/gpu.sh.

Same models (the MLP and the CNN of runtime/model.cpp, same shapes), Adam,
softmax cross-entropy, same batch size, on random 28x28 data held on the
host like kf-trainer's: each step gathers a batch on the host, copies it to
the GPU, runs forward/backward/update and reads the loss back (kf-trainer
reads its loss and accuracy sums back every step too). Prints one line:
"samples/s N". FP32 throughout (TF32 off for matmuls and convolutions, as
kf-trainer's cuBLAS calls use no tensor-op math).
"""
import argparse
import time

import torch
import torch.nn as nn


def build(kind, hidden, channels):
    layers, c, side = [], 1, 28
    if kind == "cnn":
        for f in channels:
            layers += [nn.Conv2d(c, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c, side = f, side // 2
    layers.append(nn.Flatten())
    width = c * side * side
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["mlp", "cnn"], required=True)
    ap.add_argument("--layers", default="128,64")
    ap.add_argument("--conv-channels", default="16,32")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(1)
    dev = torch.device("cuda")
    hidden = [int(v) for v in args.layers.split(",") if v]
    channels = [int(v) for v in args.conv_channels.split(",") if v]
    model = build(args.model, hidden, channels).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(reduction="sum")
    x = torch.rand(args.samples, 1, 28, 28)
    y = torch.randint(0, 10, (args.samples,))
    steps = args.samples // args.batch_size
    rate = 0.0
    for _ in range(args.epochs):  # the last epoch is reported, as kf-trainer's
        order = torch.randperm(args.samples)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for s in range(steps):
            idx = order[s * args.batch_size:(s + 1) * args.batch_size]
            xb, yb = x[idx].to(dev), y[idx].to(dev)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb) / args.batch_size
            loss.backward()
            opt.step()
            loss.item()
        rate = steps * args.batch_size / (time.perf_counter() - t0)
    print(f"samples/s {rate:.0f}")


if __name__ == "__main__":
    main()
