#pragma once
// Per-epoch metrics: one line on stdout in the format Katib's StdOut
// metrics collector parses ("epoch=3 loss=0.1234 accuracy=0.9012 ..."),
// and one JSON object per line in the metrics file. Only rank 0 reports.

#include <cstdio>
#include <string>

namespace kf::trainer {

struct EpochMetrics {
  std::size_t epoch = 0;      // 1-based
  double loss = 0.0;          // mean training loss over the epoch
  double accuracy = 0.0;      // test accuracy (Katib's usual objective)
  double test_loss = 0.0;
  double train_accuracy = 0.0;
  double samples_per_s = 0.0; // all workers together
  double tokens_per_s = 0.0;  // text models: non-padding tokens, this rank's times the workers (0 = not text)
  double wall_s = 0.0;        // since this process started
  std::uint64_t step = 0;     // global optimizer steps so far
};

std::string katib_line(const EpochMetrics& m);

class MetricsWriter {
public:
  explicit MetricsWriter(const std::string& jsonl_path); // appends; throws Error
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;
  void write(const EpochMetrics& m);

private:
  std::FILE* m_file = nullptr;
};

} // namespace kf::trainer
