// Reading the operators' rendezvous environment (MASTER_*, PET_*, TF_CONFIG).
#include "runtime/world.h"

#include "runtime/error.h"

#include <nlohmann/json.hpp>

#include <charconv>

namespace kf::trainer {
namespace {

int parse_int(const std::string& name, const std::string& value, int lo, int hi) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size() || v < lo || v > hi)
    throw UsageError(name + "=" + value + " is not an integer in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return v;
}

std::string get(const GetEnv& getenv, const char* name) {
  const char* v = getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

} // namespace

WorldInfo parse_tf_config(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(std::string("TF_CONFIG is not valid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("cluster") || !j["cluster"].is_object())
    throw UsageError("TF_CONFIG has no \"cluster\" object");
  if (!j.contains("task") || !j["task"].is_object())
    throw UsageError("TF_CONFIG has no \"task\" object");
  const auto& task = j["task"];
  if (!task.contains("type") || !task["type"].is_string())
    throw UsageError("TF_CONFIG task has no \"type\" string");
  if (!task.contains("index") || !task["index"].is_number_integer())
    throw UsageError("TF_CONFIG task has no integer \"index\"");
  const std::string type = task["type"].get<std::string>();
  const long long index = task["index"].get<long long>();
  WorldInfo w;
  w.source = "tf_config";
  w.role = type + " " + std::to_string(index);
  const auto& cluster = j["cluster"];
  if (type == "evaluator") {
    w.participates = false;
    return w;
  }
  const char* const order[] = {"chief", "master", "worker", "ps"};
  std::string have;
  int offset = 0;
  bool found = false;
  std::string first_address;
  for (const char* role : order) {
    if (!cluster.contains(role)) continue;
    const auto& list = cluster[role];
    if (!list.is_array()) throw UsageError(std::string("TF_CONFIG cluster.") + role + " is not a list");
    have += (have.empty() ? "" : ", ") + std::string(role);
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string() || list[i].get<std::string>().rfind(':') == std::string::npos)
        throw UsageError(std::string("TF_CONFIG cluster.") + role + "[" + std::to_string(i) +
                         "] is not a \"host:port\" string");
      if (first_address.empty()) first_address = list[i].get<std::string>();
    }
    if (type == role) {
      if (index < 0 || static_cast<std::size_t>(index) >= list.size())
        throw UsageError("TF_CONFIG task index " + std::to_string(index) + " is out of range: cluster." + role +
                         " has " + std::to_string(list.size()) + " entries");
      w.rank = offset + static_cast<int>(index);
      found = true;
    }
    offset += static_cast<int>(list.size());
  }
  if (!found)
    throw UsageError("TF_CONFIG task type \"" + type + "\" is not in the cluster (which has " +
                     (have.empty() ? std::string("no chief, master, worker or ps") : have) + ")");
  w.size = offset;
  const auto colon = first_address.rfind(':');
  w.master_addr = first_address.substr(0, colon);
  w.master_port = parse_int("TF_CONFIG port of rank 0", first_address.substr(colon + 1), 1, 65535);
  return w;
}

WorldInfo world_from_env(const GetEnv& getenv) {
  WorldInfo w;
  const std::string local_rank = get(getenv, "LOCAL_RANK");
  if (!local_rank.empty()) w.local_rank = parse_int("LOCAL_RANK", local_rank, 0, 1 << 20);
  const std::string world_size = get(getenv, "WORLD_SIZE");
  const std::string rank = get(getenv, "RANK");
  const std::string nnodes = get(getenv, "PET_NNODES");
  const std::string tf_config = get(getenv, "TF_CONFIG");
  if (!world_size.empty() || !rank.empty()) {
    w.source = "env";
    w.size = parse_int("WORLD_SIZE", world_size.empty() ? "1" : world_size, 1, 1 << 20);
    w.rank = parse_int("RANK", rank.empty() ? "0" : rank, 0, 1 << 20);
    if (w.rank >= w.size)
      throw UsageError("RANK=" + std::to_string(w.rank) + " is out of range for WORLD_SIZE=" + std::to_string(w.size));
    const std::string addr = get(getenv, "MASTER_ADDR");
    const std::string port = get(getenv, "MASTER_PORT");
    if (w.size > 1 && (addr.empty() || port.empty()))
      throw UsageError("WORLD_SIZE=" + std::to_string(w.size) + " needs MASTER_ADDR and MASTER_PORT");
    if (!addr.empty()) w.master_addr = addr;
    if (!port.empty()) w.master_port = parse_int("MASTER_PORT", port, 1, 65535);
    return w;
  }
  if (!nnodes.empty()) {
    w.source = "pet";
    const std::string nproc = get(getenv, "PET_NPROC_PER_NODE");
    const int per_node = nproc.empty() || nproc == "auto" ? 1 : parse_int("PET_NPROC_PER_NODE", nproc, 1, 1 << 16);
    w.size = parse_int("PET_NNODES", nnodes, 1, 1 << 16) * per_node;
    const std::string node_rank = get(getenv, "PET_NODE_RANK");
    w.rank = parse_int("PET_NODE_RANK", node_rank.empty() ? "0" : node_rank, 0, 1 << 16) * per_node + w.local_rank;
    if (w.rank >= w.size)
      throw UsageError("PET_NODE_RANK/LOCAL_RANK give rank " + std::to_string(w.rank) + ", out of range for " +
                       std::to_string(w.size) + " processes");
    const std::string addr = get(getenv, "PET_MASTER_ADDR");
    const std::string port = get(getenv, "PET_MASTER_PORT");
    if (w.size > 1 && (addr.empty() || port.empty()))
      throw UsageError("PET_NNODES=" + nnodes + " needs PET_MASTER_ADDR and PET_MASTER_PORT");
    if (!addr.empty()) w.master_addr = addr;
    if (!port.empty()) w.master_port = parse_int("PET_MASTER_PORT", port, 1, 65535);
    return w;
  }
  if (!tf_config.empty()) {
    WorldInfo t = parse_tf_config(tf_config);
    t.local_rank = w.local_rank;
    return t;
  }
  return w;
}

} // namespace kf::trainer
