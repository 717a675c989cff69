#pragma once
// Reading a trainer's progress from its log, line by line:
// - Katib's StdOut metrics format, "epoch=3 loss=0.2841 accuracy=0.8955 ..."
//   (any trainer that Katib can tune prints these): one per finished epoch;
// - kf-trainer's progress lines on stderr,
//   "kf-trainer[0/2]: epoch 2/5 step 120/469 loss 0.3120 lr 0.001 5230 samples/s".

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
