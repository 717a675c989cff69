#pragma once
// Inference request bodies -> a validated InferRequest, or the 4xx error the
// client gets. Two wire formats:
//   KServe Open Inference Protocol v2 (POST /v2/models/NAME/infer):
//     {"id": "...", "inputs": [{"name": "input", "datatype": "FP32"|"UINT8",
//      "shape": [N, C*H*W] | [N, C, H, W] | [N, H, W] (C = 1),
//      "data": flat or nested, row-major}], "outputs": [{"name": "label"}]}
//   v1 (POST /v1/models/NAME:predict): {"instances": [[...], ...]}, FP32 values.
// A text model (model.json has "text") takes strings instead: v2
// {"datatype": "BYTES", "shape": [N] | [N, 1], "data": ["text", ...]} and
// v1 {"instances": ["text", ...]}; the server tokenizes them.
// Pure functions of (body, signature): no I/O, never throw, safe on any bytes
// (tests/fuzz/fuzz_infer_request.cpp). Every error message is pinned by
// tests/runtime/server/unit/test_infer_request.cpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kf::server {

// What the served model takes and gives, from model.json.
struct ModelSignature {
  std::string input_name = "input";
  std::vector<std::size_t> sample_shape = {1, 28, 28}; // [C, H, W]
  std::size_t classes = 10;
  // A UINT8 value v becomes v / uint8_divisor (the trainer's pixel scaling:
  // IDX pixel / 255; CSV / column max, 255 for 8-bit images).
  float uint8_divisor = 255.0f;
  // A text model: inputs are strings (BYTES), tokenized by the server.
  bool text = false;
  std::vector<std::string> labels; // class names, when the model has them (id = index)

  std::size_t features() const; // C * H * W
};

// The outputs a v2 response can carry, by name.
enum class Output { probabilities, label, class_name };
inline constexpr std::string_view k_probabilities = "probabilities"; // FP32 [N, classes], softmax
inline constexpr std::string_view k_label = "label";                 // INT64 [N], argmax of the logits
inline constexpr std::string_view k_class_name = "class_name";       // BYTES [N], the label's name (models with names)
std::string_view output_name(Output o);

struct InferRequest {
  std::optional<std::string> id;   // v2 "id", echoed in the response
  std::size_t batch = 0;           // N >= 1
  std::vector<float> data;         // N * features, scaled, row-major (a text model: empty until tokenized)
  std::vector<std::string> texts;  // a text model's N strings
  std::vector<Output> outputs = {Output::probabilities, Output::label}; // in the requested order
};

struct RequestError {
  int status = 400;
  std::string message;
};

using ParsedRequest = std::variant<InferRequest, RequestError>;

// Nested "data" arrays deeper than this are rejected (no unbounded recursion).
inline constexpr int k_max_data_depth = 32;

ParsedRequest parse_infer_request(std::string_view body, const ModelSignature& sig);   // v2
ParsedRequest parse_predict_request(std::string_view body, const ModelSignature& sig); // v1

} // namespace kf::server
