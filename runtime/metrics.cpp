// Katib StdOut lines and the JSON-lines metrics file.
#include "runtime/metrics.h"

#include "contract/progress.h"
#include "runtime/error.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <iostream>

namespace kf::trainer {

std::string katib_line(const EpochMetrics& m) {
  return contract::format_metrics_line({static_cast<long>(m.epoch),
                                        {{"loss", m.loss},
                                         {"accuracy", m.accuracy},
                                         {"test_loss", m.test_loss},
                                         {"train_accuracy", m.train_accuracy}}});
}

MetricsWriter::MetricsWriter(const std::string& path) {
  m_file = std::fopen(path.c_str(), "a");
  if (m_file == nullptr) throw Error("cannot open metrics file " + path + ": " + std::strerror(errno));
}

MetricsWriter::~MetricsWriter() {
  if (m_file != nullptr) std::fclose(m_file);
}

void MetricsWriter::write(const EpochMetrics& m) {
  std::cout << katib_line(m) << std::endl;
  nlohmann::json j = {{"epoch", m.epoch},         {"step", m.step},
                            {"loss", m.loss},           {"accuracy", m.accuracy},
                            {"test_loss", m.test_loss}, {"train_accuracy", m.train_accuracy},
                            {"samples_per_s", m.samples_per_s}, {"wall_s", m.wall_s}};
  if (m.tokens_per_s > 0.0) j["tokens_per_s"] = m.tokens_per_s;
  const std::string line = j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), m_file);
  std::fflush(m_file);
}

} // namespace kf::trainer
