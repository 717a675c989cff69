"""The peers of kf's intent classifier on BANKING77, for bench/intents.sh.

torch: PyTorch 1.13's nn.EmbeddingBag (mean) + Linear, fastText-style, with
the features kf-trainer uses (lower-cased word ids for words seen twice,
hashed word bigrams and character 3-5-grams of "<word>" in 65,536 extra
rows, at most 64 + 192 ids per text), Adam lr 0.005, batch 32, 5 epochs,
the same threads. Tokenization here is a regex (words and punctuation), not
BERT's, so read the accuracy as the same model class, not the same bits.
svm: TF-IDF + linear SVM (scikit-learn), word 1-2-grams and char 2-5-grams,
the issue's anchors. Prints one JSON line per model.
Usage: intents_torch.py DATA_DIR THREADS [torch|svm]...
"""
import csv, json, re, sys, time, zlib

data, threads = sys.argv[1], int(sys.argv[2])
which = sys.argv[3:] or ["torch", "svm"]
rows = {s: list(csv.DictReader(open(f"{data}/{s}.csv", newline=""))) for s in ("train", "test")}
labels = sorted({r["category"] for r in rows["train"]} | {r["category"] for r in rows["test"]})
cls = {l: i for i, l in enumerate(labels)}
words = lambda t: re.findall(r"\w+|[^\w\s]", t.lower())


def run_torch():
    import torch
    torch.manual_seed(42)
    torch.set_num_threads(threads)
    counts = {}
    for r in rows["train"]:
        for w in words(r["text"]):
            counts[w] = counts.get(w, 0) + 1
    vocab = {w: i + 2 for i, w in enumerate(sorted(w for w, c in counts.items() if c >= 2))}
    buckets, base = 65536, len(vocab) + 2

    def ids(text):
        ws = words(text)
        out = [vocab.get(w, 1) for w in ws][:64]
        hashed = [zlib.crc32((a + " " + b).encode()) for a, b in zip(ws, ws[1:])]
        for w in ws:
            m = "<" + w + ">"
            hashed += [zlib.crc32(m[k:k + n].encode()) for n in (3, 4, 5) for k in range(len(m) - n + 1)]
        out += [base + h % buckets for h in hashed[:192]]
        return out + [0] * (256 - len(out))

    x = {s: torch.tensor([ids(r["text"]) for r in rows[s]]) for s in rows}
    y = {s: torch.tensor([cls[r["category"]] for r in rows[s]]) for s in rows}
    model = torch.nn.Sequential(torch.nn.EmbeddingBag(base + buckets, 64, mode="mean", padding_idx=0),
                                torch.nn.Linear(64, len(labels)))
    opt = torch.optim.Adam(model.parameters(), lr=0.005)
    n = len(y["train"]) // 32 * 32
    t0 = time.perf_counter()
    for epoch in range(5):
        perm = torch.randperm(len(y["train"]))[:n]
        for b in range(0, n, 32):
            idx = perm[b:b + 32]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x["train"][idx]), y["train"][idx])
            loss.backward()
            opt.step()
    wall = time.perf_counter() - t0
    with torch.no_grad():
        acc = (model(x["test"]).argmax(1) == y["test"]).float().mean().item()
    print(json.dumps({"model": "torch-embeddingbag", "accuracy": round(acc, 4), "train_s": round(wall, 2),
                      "samples_per_s": round(5 * n / wall)}))


def run_svm():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC
    tr = [r["text"] for r in rows["train"]]
    te = [r["text"] for r in rows["test"]]
    ytr = [r["category"] for r in rows["train"]]
    yte = [r["category"] for r in rows["test"]]
    for name, vec in (("svm-word-1-2", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                      ("svm-char-2-5", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True))):
        t0 = time.perf_counter()
        clf = LinearSVC().fit(vec.fit_transform(tr), ytr)
        wall = time.perf_counter() - t0
        acc = sum(p == t for p, t in zip(clf.predict(vec.transform(te)), yte)) / len(yte)
        print(json.dumps({"model": name, "accuracy": round(acc, 4), "train_s": round(wall, 2)}))


for w in which:
    try:
        {"torch": run_torch, "svm": run_svm}[w]()
    except ImportError as e:
        print(json.dumps({"model": w, "skipped": str(e)}))
