// libFuzzer target: any bytes as a TensorFlow event file (TFRecord framing
// and Event protobufs, read by kf-tfevent-collector: runtime/tfevent). Only
// std::runtime_error may come out; every record lies within the input, and
// a tag without a directory is always its own metric. Since the records'
// CRC-32Cs are checked, few mutations get past the framing: the input is
// also read as one Event, so the protobuf side stays fuzzed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "runtime/tfevent/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  try {
    std::string corruption;
    const auto recs = kf::tfevent::records(file, "fuzz", &corruption);
    std::size_t total = 0;
    for (const auto& r : recs) {
      if (r.data() < file.data() || r.data() + r.size() > file.data() + file.size()) std::abort();
      total += r.size() + 16;
    }
    if (total > size) std::abort();
    for (const auto& s : kf::tfevent::scalars(recs, "fuzz"))
      if (s.tag.find('/') == std::string::npos && !kf::tfevent::matches(s.tag, s.tag, "dir/events")) std::abort();
  } catch (const std::runtime_error&) {
  }
  try {
    (void)kf::tfevent::scalars({file}, "fuzz");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
