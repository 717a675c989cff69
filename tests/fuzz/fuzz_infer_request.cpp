// libFuzzer target: any bytes as a kf-server request body, parsed both as a
// v2 infer request and as a v1 predict request, for an image model and for
// a text model. The parser must never crash,
// hang, leak or throw; an accepted request must be consistent (N >= 1,
// N * features values, all finite); a rejected one must carry a 400 and a
// message that encodes as JSON. Differential: kf-server's JSON reader must
// accept exactly what nlohmann::json::parse accepts (but for nesting deeper
// than its limit, and a raw NUL byte) and read the same document, number
// types included.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/server/infer_request.h"
#include "runtime/server/json_reader.h"

namespace {

void check(const kf::server::ParsedRequest& parsed, const kf::server::ModelSignature& sig) {
  if (const auto* e = std::get_if<kf::server::RequestError>(&parsed)) {
    if (e->status != 400 || e->message.empty()) std::abort();
    (void)nlohmann::json(e->message).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  const auto& r = std::get<kf::server::InferRequest>(parsed);
  if (r.batch == 0 || r.outputs.empty()) std::abort();
  if (sig.text) {
    if (r.texts.size() != r.batch || !r.data.empty()) std::abort();
    return;
  }
  if (r.data.size() != r.batch * sig.features() || !r.texts.empty()) std::abort();
  for (float v : r.data)
    if (!std::isfinite(v)) std::abort();
}

} // namespace

void same_as_nlohmann(std::string_view body) {
  auto mine = kf::server::read_json(body);
  // A raw NUL is never valid JSON; nlohmann's lexer takes it for the end of
  // the input (accepting "2\0junk"), so only our answer is checked.
  if (body.find('\0') != std::string_view::npos) {
    if (std::holds_alternative<nlohmann::json>(mine)) std::abort();
    return;
  }
  nlohmann::json theirs;
  bool accepted = true;
  try {
    theirs = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    accepted = false;
  }
  if (const auto* j = std::get_if<nlohmann::json>(&mine)) {
    if (!accepted || j->dump() != theirs.dump()) std::abort();
  } else if (accepted && std::get<std::string>(mine).find("nested more than") == std::string::npos) {
    std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  same_as_nlohmann(body);
  kf::server::ModelSignature sig;
  sig.sample_shape = {1, 2, 2};
  sig.classes = 3;
  check(kf::server::parse_infer_request(body, sig), sig);
  check(kf::server::parse_predict_request(body, sig), sig);
  // A text model with class names: BYTES strings instead of tensors.
  sig.text = true;
  sig.labels = {"a", "b", "c"};
  check(kf::server::parse_infer_request(body, sig), sig);
  check(kf::server::parse_predict_request(body, sig), sig);
  return 0;
}
