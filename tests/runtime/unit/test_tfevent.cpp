// kf-tfevent-collector's reader (runtime/tfevent): TFRecord framing, the
// scalar summaries of TF1 and TF2, and which metric a value is, as Katib's
// TensorFlowEvent collector decides it.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "runtime/tfevent/reader.h"
#include "tfevent.pb.h"

using namespace kf::tfevent;

namespace {

std::string little_endian(std::uint64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

std::string record(const std::string& data) {
  const std::string length = little_endian(data.size(), 8);
  std::string out = length;
  out += little_endian(masked_crc32c(length), 4);
  out += data;
  out += little_endian(masked_crc32c(data), 4);
  return out;
}

std::string event(const std::string& tag, double value, bool tensor) {
  Event e;
  e.set_step(1);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  if (!tensor) {
    v->set_simple_value(static_cast<float>(value));
  } else {
    v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("scalars");
    v->mutable_tensor()->set_dtype(DT_DOUBLE);
    v->mutable_tensor()->add_double_val(value);
  }
  return e.SerializeAsString();
}

} // namespace

TEST_CASE("tfevent: records, scalars of both styles, and a record still being written") {
  Event version;
  version.set_file_version("brain.Event:2");
  const std::string file = record(version.SerializeAsString()) + record(event("accuracy", 0.25, true)) +
                           record(event("loss", 0.5, false));
  const auto recs = records(file, "f");
  REQUIRE(recs.size() == 3u);
  const auto s = scalars(recs, "f");
  REQUIRE(s.size() == 2u);
  CHECK(s[0].tag == "accuracy");
  CHECK(s[0].value == 0.25);
  CHECK(s[0].tensor);
  CHECK(s[1].tag == "loss");
  CHECK(s[1].value == 0.5);
  CHECK_FALSE(s[1].tensor);
  // A writer's last record, cut anywhere, is not read yet.
  for (std::size_t cut = 1; cut < record(event("loss", 0.5, false)).size(); ++cut)
    CHECK(records(file.substr(0, file.size() - cut), "f").size() == 2u);
  // Not an event: refused by name.
  CHECK_THROWS_WITH(scalars(records(record("\xff\xff\xff"), "f"), "f"), "f: record 1 is not a TensorFlow Event");
  CHECK_THROWS_WITH(records(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + std::string(8, 'x'), "f"),
                    doctest::Contains("f is not a TFRecord file"));
}

TEST_CASE("tfevent: the masked CRC-32C is TensorFlow's, and a record that does not match it is refused") {
  // CRC-32C("123456789") = 0xE3069283 (RFC 3720's check value), masked as TensorFlow's crc32c::Mask does.
  const std::uint32_t crc = 0xE3069283u;
  CHECK(masked_crc32c("123456789") == ((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
  const std::string first = record(event("loss", 0.5, false));
  std::string file = first + record(event("loss", 0.25, false));
  CHECK(records(file, "f").size() == 2u);
  std::string bad_data = file;
  bad_data[first.size() + 14] ^= 0x01; // inside the second record's data
  CHECK_THROWS_WITH(records(bad_data, "f"), ("f: corrupted record 2 at offset " + std::to_string(first.size()) +
                                             " (its data's CRC-32C does not match)").c_str());
  std::string corruption;
  CHECK(records(bad_data, "f", &corruption).size() == 1u); // what came before is kept, as TensorBoard keeps it
  CHECK(corruption == "f: corrupted record 2 at offset " + std::to_string(first.size()) + " (its data's CRC-32C does not match)");
  // kf-tfevent-collector: the first value is collected, the corruption is a warning.
  const auto dir = std::filesystem::temp_directory_path() / ("kf-tfevent-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "events.out.tfevents.1", std::ios::binary) << bad_data;
  std::vector<std::string> warnings;
  const auto logs = collect(dir, {"loss"}, warnings);
  std::filesystem::remove_all(dir);
  REQUIRE(logs.size() == 1u);
  CHECK(logs[0].value == 0.5);
  REQUIRE(warnings.size() == 1u);
  CHECK(warnings[0] == (dir / "events.out.tfevents.1").string() + ": corrupted record 2 at offset " + std::to_string(first.size()) +
                           " (its data's CRC-32C does not match): the rest of the file is skipped");
  std::string bad_length = file;
  bad_length[first.size() + 9] ^= 0x01; // the second record's length CRC
  CHECK_THROWS_WITH(records(bad_length, "f"), ("f: corrupted record 2 at offset " + std::to_string(first.size()) +
                                               " (its length's CRC-32C does not match)").c_str());
}

TEST_CASE("tfevent: a metric is a tag, or a tag under the event file's directory (Katib's _should_consider)") {
  CHECK(matches("accuracy", "accuracy", "logs/test/events.out"));
  CHECK(matches("accuracy_1", "accuracy", "logs/test/events.out")); // a prefix, as Katib matches
  CHECK_FALSE(matches("loss", "accuracy", "logs/test/events.out"));
  CHECK(matches("accuracy", "test/accuracy", "logs/test/events.out"));
  CHECK_FALSE(matches("accuracy", "train/accuracy", "logs/test/events.out"));
}
