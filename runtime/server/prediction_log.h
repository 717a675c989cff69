#pragma once
// PredictionLog: kf-server's answer log (--log-file, kf.yaml's
// serving.logger, as KServe's logger): one JSON line per answered instance,
//   {"time": "2026-12-05T17:00:00.123Z", "id": "REQUEST-ID", "index": 0,
//    "model": "NAME", "input": "my card has not arrived",
//    "label": 11, "class": "card_arrival", "confidence": 0.93}
// "input" (the text, or a tensor's numbers) is written in modes all and
// request, the answer in all and response. "id" is the v2 request's id, or
// one kf-server makes up (and returns in the v2 response) so a client can
// match answers with labels that arrive later (`kf monitor --labels`).
// Lines are appended whole under a mutex and flushed per request.

#include "runtime/server/infer_request.h"
#include "runtime/server/served_model.h"

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kf::server {

class PredictionLog {
public:
  enum class Mode { all, request, response };
  static Mode parse_mode(const std::string& mode); // throws trainer::UsageError

  PredictionLog(const std::string& path, Mode mode); // appends; throws trainer::Error
  ~PredictionLog();
  PredictionLog(const PredictionLog&) = delete;
  PredictionLog& operator=(const PredictionLog&) = delete;

  // A fresh request id: "kf-<start time in ms>-<counter>".
  std::string next_id();
  void write(std::string_view model, const InferRequest& request, const Prediction& prediction,
             const std::vector<std::string>& labels);

private:
  std::FILE* m_file = nullptr;
  Mode m_mode;
  std::mutex m_mutex;
  std::string m_prefix;
  std::uint64_t m_next = 0;
};

} // namespace kf::server
