#pragma once
// Reading a trainer's progress from its log, line by line: Katib's metrics
// lines (one per finished epoch) and kf-trainer's progress lines, in the
// formats contract/progress.h defines.

#include <optional>
#include <string>

#include "libkf/util/json.h"

namespace kf::local {

struct EpochLine {
  int epoch = 0;
  Json values = Json::object(); // every name=number pair but epoch
};

// A Katib metrics line, or nullopt.
std::optional<EpochLine> parse_epoch_line(const std::string& line);

class Progress {
public:
  // Takes one log line; returns the epoch's metrics when it is a metrics line.
  std::optional<EpochLine> feed(const std::string& line);
  // The run's epoch count when known up front (the trainer's --epochs).
  void set_epochs(int epochs) { m_epochs = epochs; }
  // {"epoch", "epochs", "step", "steps", "loss", "samplesPerSecond", "metrics": {last epoch's}}; {} before any.
  Json to_json() const;

private:
  int m_epoch = 0, m_epochs = 0, m_step = 0, m_steps = 0;
  double m_loss = 0, m_rate = 0;
  bool m_any = false;
  EpochLine m_last;
};

} // namespace kf::local
