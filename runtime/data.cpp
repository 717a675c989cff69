// Resolving --data into files (directories, files, URLs) and sharding.
#include "runtime/data.h"

#include "runtime/error.h"
#include "runtime/fetch.h"

#include <zlib.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace kf::trainer {
namespace {

const char* const k_idx_names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

std::string local_idx_file(const fs::path& dir, const std::string& name) {
  for (const std::string& candidate : {name + ".gz", name})
    if (fs::exists(dir / candidate)) return (dir / candidate).string();
  throw Error("data: " + dir.string() + " has no " + name + "[.gz] (expected the four MNIST-format IDX files)");
}

std::string remote_idx_file(const std::string& base, const std::string& name, const std::string& cache) {
  for (const std::string& candidate : {name + ".gz", name})
    if (auto path = try_fetch_to_cache(base + candidate, cache)) return *path;
  throw Error("data: " + base + name + "[.gz]: not found (HTTP 404)");
}

// Whether the first line of a local CSV file names `column` (a text table).
bool header_names(const std::string& local, const std::string& column) {
  if (local.empty() || !fs::is_regular_file(local)) return false;
  gzFile f = gzopen(local.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[4096];
  const char* line = gzgets(f, buf, sizeof buf);
  gzclose(f);
  if (line == nullptr) return false;
  std::string_view header(line);
  while (!header.empty() && (header.back() == '\n' || header.back() == '\r')) header.remove_suffix(1);
  for (std::size_t start = 0; start <= header.size();) {
    const std::size_t comma = std::min(header.find(',', start), header.size());
    std::string_view field = header.substr(start, comma - start);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
    if (field == column) return true;
    start = comma + 1;
  }
  return false;
}

std::string resolve_format(const DataOptions& o, const std::string& local) {
  if (o.format != "auto") {
    if (o.format != "idx" && o.format != "csv" && o.format != "text" && o.format != "synthetic")
      throw UsageError("unknown --data-format '" + o.format + "' (expected idx, csv, text or synthetic)");
    return o.format;
  }
  if (o.source == "synthetic") return "synthetic";
  for (const char* ext : {".jsonl", ".ndjson", ".tsv"})
    if (o.source.ends_with(ext) || o.source.ends_with(std::string(ext) + ".gz")) return "text";
  if (o.source.ends_with(".csv") || o.source.ends_with(".csv.gz"))
    return header_names(local, o.text_column) ? "text" : "csv";
  if (!local.empty() && fs::is_directory(local)) return "idx";
  if (o.source.ends_with("/") || o.source.find("idx") != std::string::npos) return "idx";
  throw UsageError("cannot tell the format of --data " + o.source + "; pass --data-format=idx or csv");
}

// A local path for a CSV source (downloading URLs).
std::string csv_path(const std::string& source, const std::string& cache) {
  if (is_url(source) && !source.starts_with("file://")) return fetch_to_cache(source, cache);
  const std::string local = strip_file_url(source);
  if (!fs::exists(local)) throw Error("data: " + local + " does not exist");
  return local;
}

Dataset take_range(const Dataset& d, std::size_t from, std::size_t to) {
  Dataset out;
  out.sample_shape = d.sample_shape;
  out.classes = d.classes;
  out.labels.assign(d.labels.begin() + static_cast<std::ptrdiff_t>(from), d.labels.begin() + static_cast<std::ptrdiff_t>(to));
  out.images.assign(d.images.begin() + static_cast<std::ptrdiff_t>(from * d.sample_size()),
                    d.images.begin() + static_cast<std::ptrdiff_t>(to * d.sample_size()));
  return out;
}

// A text table: --test-data, or every tenth row of --data (text tables are
// often sorted by label, so the last tenth would hold only the last few).
DataSplit load_text(const DataOptions& o, const std::string& cache, const TextModel* fixed) {
  std::vector<TextRow> rows = read_text_rows(csv_path(o.source, cache), o.text_column, o.label_column);
  if (!o.test_source.empty())
    return text_split(std::move(rows),
                      read_text_rows(csv_path(o.test_source, cache), o.text_column, o.label_column), o,
                      o.test_source, fixed);
  if (rows.size() < 2) throw Error("data: " + o.source + ": a train and a test split need at least 2 rows");
  std::vector<TextRow> train, test;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const bool to_test = i % 10 == 9 || (rows.size() < 10 && i + 1 == rows.size()); // a short table: its last row
    (to_test ? test : train).push_back(std::move(rows[i]));
  }
  return text_split(std::move(train), std::move(test), o, o.source, fixed);
}

} // namespace

Kept kept(std::size_t n, const Keep& k) {
  const auto w = static_cast<std::size_t>(k.world);
  const auto r = static_cast<std::size_t>(k.rank);
  if (k.limit != 0) n = std::min(n, k.limit);
  if (k.equal) {
    if (n < w)
      throw Error("data: " + std::to_string(n) + " training samples cannot be shared by " + std::to_string(w) +
                  " workers");
    n -= n % w;
  }
  return {r, w, r < n ? (n - r + w - 1) / w : 0};
}

Dataset keep_samples(Dataset data, const Keep& keep) {
  const Kept k = kept(data.size(), keep);
  if (k.first == 0 && k.step == 1) { // one process: the first samples, kept in place
    data.labels.resize(k.count);
    data.images.resize(k.count * data.sample_size());
    return data;
  }
  Dataset out;
  out.sample_shape = data.sample_shape;
  out.classes = data.classes;
  out.label_names = std::move(data.label_names);
  out.text = std::move(data.text);
  const std::size_t s = data.sample_size();
  out.labels.reserve(k.count);
  out.images.reserve(k.count * s);
  for (std::size_t j = 0; j < k.count; ++j) {
    const std::size_t i = k.first + j * k.step;
    out.labels.push_back(data.labels[i]);
    out.images.insert(out.images.end(), data.images.begin() + static_cast<std::ptrdiff_t>(i * s),
                      data.images.begin() + static_cast<std::ptrdiff_t>((i + 1) * s));
  }
  return out;
}

DataSplit load_data(const DataOptions& o, int rank, int world, const TextModel* fixed) {
  if (o.source.empty())
    throw UsageError("--data is required: a directory of IDX files, a CSV file, a URL, or 'synthetic'");
  const bool remote = is_url(o.source) && !o.source.starts_with("file://");
  const std::string local = remote ? std::string() : strip_file_url(o.source);
  if (!local.empty() && o.source != "synthetic" && o.format != "synthetic" && !fs::exists(local))
    throw Error("data: " + local + " does not exist");
  const std::string format = resolve_format(o, local);
  const std::string cache = o.cache_dir.empty() ? default_cache_dir() : o.cache_dir;
  DataSplit split;
  if (format == "synthetic") {
    if (o.synthetic_size < 4) throw UsageError("--synthetic-size must be at least 4");
    split.train = synthetic_dataset(o.synthetic_samples, o.synthetic_size, 0);
    split.test = synthetic_dataset(std::max<std::size_t>(o.synthetic_samples / 4, 1), o.synthetic_size, 1);
  } else if (format == "idx") {
    std::string files[4];
    if (remote) {
      const std::string base = o.source.substr(0, o.source.find_last_of('/') + 1);
      for (int i = 0; i < 4; ++i) files[i] = remote_idx_file(base, k_idx_names[i], cache);
    } else {
      if (!fs::exists(local)) throw Error("data: " + local + " does not exist");
      const fs::path dir = fs::is_directory(local) ? fs::path(local) : fs::path(local).parent_path();
      for (int i = 0; i < 4; ++i) files[i] = local_idx_file(dir, k_idx_names[i]);
    }
    // Each rank converts only its own samples to floats.
    split.train = read_idx(files[0], files[1], {o.train_limit, rank, world, true});
    split.test = read_idx(files[2], files[3], {0, rank, world, false});
    return split;
  } else if (format == "text") {
    split = load_text(o, cache, fixed);
  } else {
    Dataset all = read_csv(csv_path(o.source, cache), o.csv_label_column);
    if (!o.test_source.empty()) {
      split.train = std::move(all);
      split.test = read_csv(csv_path(o.test_source, cache), o.csv_label_column);
    } else {
      // No --test-data: the last tenth of the file is the test split.
      const std::size_t cut = all.size() - std::max<std::size_t>(all.size() / 10, 1);
      split.train = take_range(all, 0, cut);
      split.test = take_range(all, cut, all.size());
    }
    if (split.train.sample_shape != split.test.sample_shape)
      throw Error("data: the test split's samples have a different size from the training split's");
    split.test.classes = split.train.classes = std::max(split.train.classes, split.test.classes);
  }
  split.train = keep_samples(std::move(split.train), {o.train_limit, rank, world, true});
  split.test = keep_samples(std::move(split.test), {0, rank, world, false});
  return split;
}

} // namespace kf::trainer
