#pragma once
// safetensors (https://github.com/huggingface/safetensors) for float32:
// an 8-byte little-endian header length, a JSON header mapping each tensor
// name to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}
// (offsets relative to the data section) plus an optional "__metadata__"
// string map, padded with spaces to 8 bytes, then the raw little-endian data.
// Used for the exported model and, with optimizer state, for checkpoints.

#include "runtime/tensor.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kf::trainer {

struct TensorView {
  std::string name;
  Shape shape;
  const std::vector<float>* data;
};

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

std::string encode_safetensors(const std::vector<TensorView>& tensors,
                               const std::map<std::string, std::string>& metadata);
// `what` names the source in errors ("checkpoint /x/ckpt-10.safetensors").
// Throws Error on a truncated or malformed file.
SafetensorsFile decode_safetensors(std::string_view bytes, const std::string& what);

// Whole-file helpers. write_file_atomic writes a temporary file beside
// `path`, fsyncs it, renames it over `path` and fsyncs the directory.
std::string read_file(const std::string& path); // throws Error
void write_file_atomic(const std::string& path, std::string_view bytes);

} // namespace kf::trainer
