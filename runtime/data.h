#pragma once
// Datasets for kf-trainer: MNIST-format IDX files (gzip or plain), CSV
// (one sample per line: label and pixels), text tables (CSV, TSV or JSON
// lines with a text and a label column; runtime/text.h turns each text
// into a row of token ids), and a built-in synthetic set for fast tests. A source is a directory, a file, an http(s):// or file:// URL
// (downloaded once into a cache directory) or the word "synthetic".
// Pixels are scaled to [0, 1]. Each rank keeps only its own shard.

#include "runtime/tensor.h"
#include "runtime/text.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kf::trainer {

struct Dataset {
  Shape sample_shape;                // [C, H, W]
  std::vector<float> images;         // size() * numel(sample_shape)
  std::vector<std::uint8_t> labels;  // class ids
  std::size_t classes = 0;           // 1 + the largest label seen (at least 2)
  // Text data: the class names (id = index) and how texts became samples.
  std::vector<std::string> label_names;
  std::shared_ptr<const TextEncoder> text;

  std::size_t size() const { return labels.size(); }
  std::size_t sample_size() const { return numel(sample_shape); }
};

struct DataOptions {
  std::string source;                 // --data: dir, file, URL or "synthetic"
  std::string format = "auto";        // --data-format: auto | idx | csv | text | synthetic
  std::string test_source;            // --test-data (CSV; IDX dirs hold both splits)
  std::string cache_dir;              // --cache-dir for downloaded data
  std::string csv_label_column = "first"; // --csv-label-column: first | last
  std::size_t synthetic_samples = 2048;   // --synthetic-samples (training; test gets a quarter)
  std::size_t synthetic_size = 8;         // --synthetic-size: image side
  std::size_t train_limit = 0;            // --train-limit: use only the first N (0 = all)
  // Text tables
  std::string text_column = "text";       // --text-column
  std::string label_column = "label";     // --label-column
  std::string vocab_file;                 // --vocab: a BERT vocab.txt (default: built from the training text)
  VocabularyOptions vocab;                // --vocab-size
  TextSettings text = trainer_text_defaults(); // --max-length, --hash-buckets, --hash-slots, --no-lower-case
};


struct DataSplit {
  Dataset train;
  Dataset test;
};

// Which samples of a split a rank keeps: of the first `limit` (0: all),
// those with i % world == rank. With `equal`, the tail is dropped first so
// that every rank gets the same count (ranks step in lockstep).
struct Keep {
  std::size_t limit = 0;
  int rank = 0;
  int world = 1;
  bool equal = false;
};
// The kept samples of n: first, first + step, ... (count of them). With
// `equal`, throws Error when there are fewer samples than ranks.
struct Kept {
  std::size_t first = 0, step = 1, count = 0;
};
Kept kept(std::size_t n, const Keep& keep);

// IDX image + label files (gzip or plain, detected from content); only the
// kept samples are converted to floats. `classes` counts every label.
Dataset read_idx(const std::string& images_path, const std::string& labels_path, const Keep& keep = {});
// CSV; a header line (non-numeric first field) is skipped. gzip allowed.
Dataset read_csv(const std::string& path, const std::string& label_column);
// A text table file's rows (parse_text_table, runtime/text.h); gzip allowed.
std::vector<TextRow> read_text_rows(const std::string& path, const std::string& text_column,
                                    const std::string& label_column);
// Both splits of a text table as datasets: classes from the labels seen
// (sorted by name) and a vocabulary built from the training texts, or both
// from `fixed` (an exported model: a label it does not know is an error).
DataSplit text_split(std::vector<TextRow> train, std::vector<TextRow> test, const DataOptions& options,
                     const std::string& test_origin, const TextModel* fixed);

// The bytes of a data file, gunzipped when it is gzip.
std::string read_data_file(const std::string& path);

// Ten classes of noisy 1 x side x side patterns; `split` 0 = train, 1 = test.
Dataset synthetic_dataset(std::size_t samples, std::size_t side, int split);

// The kept samples of `data` (in place when they are its first ones).
Dataset keep_samples(Dataset data, const Keep& keep);

// Resolves, downloads (URLs), reads and shards both splits. `fixed`: text
// data is encoded as that exported model does (kf-trainer --evaluate).
DataSplit load_data(const DataOptions& options, int rank, int world, const TextModel* fixed = nullptr);

} // namespace kf::trainer
