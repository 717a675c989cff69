#pragma once
// TensorFlow event files read as Katib's TensorFlowEvent metrics collector
// reads them (pkg/metricscollector/v1beta1/tfevent-metricscollector/
// tfevent_loader.py): every file under the collector's directory, the
// scalar summaries in it, TF2's scalar tensors and TF1's simple values, the
// metric a value belongs to decided by its tag and the file's directory.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kf::tfevent {

// The records of a TFRecord file: each one a little-endian uint64 length,
// a uint32 masked CRC-32C of the length, the data, a uint32 masked CRC-32C
// of the data. Both CRCs are checked (ISA-L's CRC-32C), as TensorFlow's
// reader does. A record that does not match them is corrupted: with
// `corruption`, the list ends before it and *corruption says which
// ("f: corrupted record 3 at offset 120 (its data's CRC-32C does not
// match)"), as TensorBoard's loader keeps what it read; without, that is
// thrown as std::runtime_error. A length beyond any file (2^40 bytes) that
// does not match its CRC throws "f is not a TFRecord file". A record cut
// short at the end, which a writer is still writing, ends the list.
std::vector<std::string_view> records(std::string_view file, const std::string& what, std::string* corruption = nullptr);

// TFRecord's masked CRC-32C (Castagnoli) of `data`, as TensorFlow's crc32c::Mask(crc32c::Value(data)).
std::uint32_t masked_crc32c(std::string_view data);

struct Scalar {
  std::string tag;
  double value = 0;
  bool tensor = false; // TF2's summary (a scalar tensor) rather than TF1's simple_value
};

// The scalar summaries of an event file's records, in file order. Throws
// std::runtime_error naming `what` for a record that is not an Event.
std::vector<Scalar> scalars(const std::vector<std::string_view>& records, const std::string& what);

// Katib's _should_consider: whether a value tagged `tag` in the event file
// `file` is the metric `metric`, which is a tag ("accuracy") or a tag under
// the directory its file is in ("test/accuracy"). The tag is matched as a
// prefix, as Katib does.
bool matches(const std::string& tag, const std::string& metric, const std::string& file);

struct MetricLog {
  std::string name;
  double value = 0;
};

// The metrics logged in the event files under `dir`, file by file in path
// order; in each file the tensors' values first, then the simple values, as
// Katib reads them. A file that is not an event file is skipped with a
// line in `warnings`.
std::vector<MetricLog> collect(const std::filesystem::path& dir, const std::vector<std::string>& metrics,
                               std::vector<std::string>& warnings);

} // namespace kf::tfevent
