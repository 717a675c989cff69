#pragma once
// The lines a trainer prints that kf reads back: the contract between
// kf-trainer (runtime/, which prints them) and kf (libkf/local's supervisor
// and libkf/cluster's status, which parse them). Header-only, standard
// library only, so that both sides include it and neither depends on the
// other (ARCHITECTURE.md, "contract/").
//
// Katib's StdOut metrics format, one line per finished epoch, on stdout —
// what Katib's metrics collector reads, so any trainer Katib can tune prints
// these too. Words are name=number; the first is epoch:
//   epoch=3 loss=0.2841 accuracy=0.8955 test_loss=0.3101
//
// kf-trainer's progress line, on stderr, about once a second (rank 0):
//   kf-trainer[0/2]: epoch 2/5 step 120/469 loss 0.3120 lr 0.001 5230 samples/s

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kf::contract {

struct MetricsLine {
  long epoch = 0;
  std::vector<std::pair<std::string, double>> values; // in line order, without epoch
};

// "epoch=3 loss=0.2841 ..." with four decimals.
inline std::string format_metrics_line(const MetricsLine& m) {
  std::string out = "epoch=" + std::to_string(m.epoch);
  for (const auto& [name, value] : m.values) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", value);
    out += " " + name + "=" + buf;
  }
  return out;
}

// A metrics line, or nullopt when the line is not one: it must start with
// epoch=N, and every word must be name=number.
inline std::optional<MetricsLine> parse_metrics_line(std::string_view line) {
  if (line.substr(0, 6) != "epoch=") return std::nullopt;
  std::istringstream words{std::string(line)};
  MetricsLine m;
  for (std::string word; words >> word;) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == word.size()) return std::nullopt;
    const std::string text = word.substr(eq + 1);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) return std::nullopt;
    if (word.compare(0, eq, "epoch") == 0 && eq == 5) m.epoch = static_cast<long>(v);
    else m.values.emplace_back(word.substr(0, eq), v);
  }
  return m;
}

struct ProgressLine {
  int rank = 0, world = 1;
  long epoch = 0, epochs = 0, step = 0, steps = 0;
  double loss = 0, lr = 0, samples_per_second = 0;
};

inline std::string format_progress_line(const ProgressLine& p) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "kf-trainer[%d/%d]: epoch %ld/%ld step %ld/%ld loss %.4f lr %.4g %.0f samples/s", p.rank,
                p.world, p.epoch, p.epochs, p.step, p.steps, p.loss, p.lr, p.samples_per_second);
  return buf;
}

inline std::optional<ProgressLine> parse_progress_line(std::string_view line) {
  const std::string s(line);
  ProgressLine p;
  int used = 0;
  if (std::sscanf(s.c_str(), "kf-trainer[%d/%d]: epoch %ld/%ld step %ld/%ld loss %lf lr %lf %lf samples/s%n", &p.rank,
                  &p.world, &p.epoch, &p.epochs, &p.step, &p.steps, &p.loss, &p.lr, &p.samples_per_second, &used) != 9 ||
      static_cast<std::size_t>(used) != s.size())
    return std::nullopt;
  return p;
}

} // namespace kf::contract
