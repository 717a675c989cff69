"""The peer of kf's transformer intent model on BANKING77, for bench/intents.sh.

PyTorch 1.13's nn.TransformerEncoder of the same size and recipe as
kf-trainer --model=transformer: token + position embeddings, LAYERS
pre-LayerNorm blocks (norm_first=True) of DIM wide, HEADS heads, a GELU
feed-forward of FFN, dropout 0.1, a final LayerNorm, the mean over the
non-padding positions, a linear classifier; AdamW (lr 1e-3, weight decay
0.01), 300 warm-up steps then cosine, batch 32, the same threads. Tokens
are kf's: BERT's basic rules approximated by a regex, then greedy WordPiece
over the vocab.txt kf-trainer exported, [CLS] first, at most 64; a batch is
padded to its longest text, as kf does. Throughput counts non-padding
tokens of the training steps only. Prints one JSON line.
Usage: transformer_torch.py DATA_DIR VOCAB_TXT THREADS EPOCHS [DIM HEADS LAYERS FFN]
"""
import csv, json, math, re, sys, time, unicodedata

data, vocab_file, threads, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
dim, heads, layers, ffn = (int(v) for v in (sys.argv[5:9] or [128, 4, 2, 256]))
rows = {s: list(csv.DictReader(open(f"{data}/{s}.csv", newline=""))) for s in ("train", "test")}
labels = sorted({r["category"] for r in rows["train"]})
cls = {l: i for i, l in enumerate(labels)}
vocab = {t: i for i, t in enumerate(l.rstrip("\n") for l in open(vocab_file, encoding="utf-8"))}


def basic(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.findall(r"\w+|[^\w\s]", text)


def wordpiece(word):
    out, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                out.append(vocab[piece])
                break
            end -= 1
        if end == start:
            return [vocab["[UNK]"]]
        start = end
    return out


def ids(text):
    out = [vocab["[CLS]"]]
    for w in basic(text):
        out += wordpiece(w)
    return out[:64]


def main():
    import torch
    from torch import nn
    torch.manual_seed(42)
    torch.set_num_threads(threads)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(len(vocab), dim, padding_idx=0)
            self.pos = nn.Embedding(64, dim)
            self.drop = nn.Dropout(0.1)
            layer = nn.TransformerEncoderLayer(dim, heads, ffn, 0.1, activation="gelu", batch_first=True,
                                               norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(dim), enable_nested_tensor=False)
            self.head = nn.Linear(dim, len(labels))

        def forward(self, x):
            pad = x == 0
            h = self.drop(self.tok(x) + self.pos(torch.arange(x.shape[1]))[None])
            z = self.encoder(h, src_key_padding_mask=pad)
            keep = (~pad).unsqueeze(-1).float()
            return self.head((z * keep).sum(1) / keep.sum(1).clamp(min=1))

    seqs = {s: [ids(r["text"]) for r in rows[s]] for s in rows}
    ys = {s: torch.tensor([cls[r["category"]] for r in rows[s]]) for s in rows}

    def batch(split, idx):
        longest = max(len(seqs[split][i]) for i in idx)
        x = torch.zeros(len(idx), longest, dtype=torch.long)
        for k, i in enumerate(idx):
            x[k, :len(seqs[split][i])] = torch.tensor(seqs[split][i])
        return x

    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    n = len(ys["train"]) // 32 * 32
    total = epochs * n // 32
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / 300 if s < 300 else 0.5 * (1 + math.cos(math.pi * (s - 300) / max(1, total - 300))))
    tokens, train_s = 0, 0.0
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(ys["train"]))[:n].tolist()
        batches = [perm[b:b + 32] for b in range(0, n, 32)]
        xs = [batch("train", idx) for idx in batches]
        t0 = time.perf_counter()
        for idx, x in zip(batches, xs):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), ys["train"][idx])
            loss.backward()
            opt.step()
            sched.step()
            tokens += int((x != 0).sum())
        train_s += time.perf_counter() - t0
    model.eval()
    correct = 0
    with torch.no_grad():
        test = list(range(len(ys["test"])))
        for b in range(0, len(test), 256):
            idx = test[b:b + 256]
            correct += int((model(batch("test", idx)).argmax(1) == ys["test"][idx]).sum())
    print(json.dumps({"model": "torch-transformer", "accuracy": round(correct / len(test), 4), "epochs": epochs,
                      "train_s": round(train_s, 2), "tokens_per_s": round(tokens / train_s),
                      "samples_per_s": round(epochs * n / train_s)}))


main()
