"""The PyTorch peer of kf-trainer for bench/trainer_vs_torch.sh.

The same models as kf-trainer's --model=mlp --layers=256,128 and
--model=cnn --conv-channels=16,32 --layers=128 (3x3 "same" convolutions,
ReLU, 2x2 max pooling, dense head), Adam lr 0.001, softmax cross-entropy,
on the first N Fashion-MNIST training images scaled to [0, 1], shuffled
each epoch, full batches only. Like kf-trainer's samples/s, the time is the
training steps of one epoch: the data is decoded and in memory before the
clock starts, and no evaluation is timed. Prints one JSON line.
Usage: trainer_torch.py DATA_DIR MODEL BATCH THREADS SAMPLES
"""
import gzip, json, sys, time

import numpy as np
import torch
from torch import nn

data, model_kind, batch, threads, samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(42)
images = np.frombuffer(gzip.open(f"{data}/train-images-idx3-ubyte.gz").read()[16:], dtype=np.uint8)
labels = np.frombuffer(gzip.open(f"{data}/train-labels-idx1-ubyte.gz").read()[8:], dtype=np.uint8)
x = torch.from_numpy(images[: samples * 784].reshape(samples, 1, 28, 28).astype(np.float32) / 255.0)
y = torch.from_numpy(labels[:samples].astype(np.int64))

if model_kind == "mlp":
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=0.001)
loss_fn = nn.CrossEntropyLoss()
steps = samples // batch
order = torch.randperm(samples)
start = time.perf_counter()
for s in range(steps):
    idx = order[s * batch:(s + 1) * batch]
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x[idx]), y[idx])
    loss.backward()
    opt.step()
seconds = time.perf_counter() - start
print(json.dumps({"tool": "torch", "version": torch.__version__, "model": model_kind, "batch": batch,
                  "threads": threads, "samples_per_s": steps * batch / seconds, "loss": loss.item()}))
