// Rendezvous environment: MASTER_*/RANK, PET_*, TF_CONFIG, with pinned errors.
#include "runtime/error.h"
#include "runtime/world.h"

#include <doctest/doctest.h>

#include <map>

using namespace kf::trainer;

namespace {

WorldInfo from(const std::map<std::string, std::string>& env) {
  return world_from_env([&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

} // namespace

TEST_CASE("world: nothing set is a single process") {
  const WorldInfo w = from({});
  CHECK(w.size == 1);
  CHECK(w.rank == 0);
  CHECK(w.source == "single");
}

TEST_CASE("world: PyTorchJob variables") {
  const WorldInfo w = from({{"MASTER_ADDR", "job-master-0"}, {"MASTER_PORT", "23456"}, {"WORLD_SIZE", "4"},
                            {"RANK", "3"}, {"LOCAL_RANK", "1"}});
  CHECK(w.size == 4);
  CHECK(w.rank == 3);
  CHECK(w.local_rank == 1);
  CHECK(w.master_addr == "job-master-0");
  CHECK(w.master_port == 23456);
  CHECK(w.source == "env");
}

TEST_CASE("world: torchrun PET_ variables") {
  const WorldInfo w = from({{"PET_MASTER_ADDR", "m"}, {"PET_MASTER_PORT", "29400"}, {"PET_NNODES", "2"},
                            {"PET_NPROC_PER_NODE", "2"}, {"PET_NODE_RANK", "1"}, {"LOCAL_RANK", "1"}});
  CHECK(w.size == 4);
  CHECK(w.rank == 3);
  CHECK(w.master_addr == "m");
  CHECK(w.source == "pet");
}

TEST_CASE("world: bad environment gives pinned usage errors") {
  CHECK_THROWS_WITH(from({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}),
                    "RANK=2 is out of range for WORLD_SIZE=2");
  CHECK_THROWS_WITH(from({{"WORLD_SIZE", "two"}}), "WORLD_SIZE=two is not an integer in [1, 1048576]");
  CHECK_THROWS_WITH(from({{"WORLD_SIZE", "2"}, {"RANK", "0"}}), "WORLD_SIZE=2 needs MASTER_ADDR and MASTER_PORT");
  CHECK_THROWS_WITH(from({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}}),
                    "MASTER_PORT=70000 is not an integer in [1, 65535]");
  CHECK_THROWS_AS(from({{"WORLD_SIZE", "0"}}), UsageError);
}

TEST_CASE("world: TF_CONFIG ranks follow chief, worker, ps order") {
  const std::string cluster = R"("cluster": {"ps": ["ps0:2222"], "worker": ["w0:2222", "w1:2222"], "chief": ["c0:2222"]})";
  auto tf = [&](const std::string& type, int index) {
    return parse_tf_config("{" + cluster + R"(, "task": {"type": ")" + type + R"(", "index": )" + std::to_string(index) + "}}");
  };
  CHECK(tf("chief", 0).rank == 0);
  CHECK(tf("worker", 0).rank == 1);
  CHECK(tf("worker", 1).rank == 2);
  CHECK(tf("ps", 0).rank == 3);
  const WorldInfo w = tf("worker", 1);
  CHECK(w.size == 4);
  CHECK(w.master_addr == "c0");
  CHECK(w.master_port == 2222);
  CHECK(w.role == "worker 1");
  CHECK_FALSE(tf("evaluator", 0).participates);
  // Through the environment too.
  CHECK(from({{"TF_CONFIG", R"({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}})"}}).rank == 1);
}

TEST_CASE("world: a wrong TF_CONFIG gives pinned usage errors") {
  CHECK_THROWS_WITH_AS(parse_tf_config(R"({"task": {"type": "worker", "index": 0}})"),
                       "TF_CONFIG has no \"cluster\" object", UsageError);
  CHECK_THROWS_WITH(parse_tf_config(R"({"cluster": {"worker": ["a:1"]}})"), "TF_CONFIG has no \"task\" object");
  CHECK_THROWS_WITH(parse_tf_config(R"({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 2}})"),
                    "TF_CONFIG task index 2 is out of range: cluster.worker has 1 entries");
  CHECK_THROWS_WITH(parse_tf_config(R"({"cluster": {"worker": ["a:1"]}, "task": {"type": "master", "index": 0}})"),
                    "TF_CONFIG task type \"master\" is not in the cluster (which has worker)");
  CHECK_THROWS_WITH(parse_tf_config(R"({"cluster": {"worker": ["a"]}, "task": {"type": "worker", "index": 0}})"),
                    "TF_CONFIG cluster.worker[0] is not a \"host:port\" string");
  CHECK_THROWS_WITH(parse_tf_config(R"({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker"}})"),
                    "TF_CONFIG task has no integer \"index\"");
  CHECK_THROWS_AS(parse_tf_config("{not json"), UsageError);
}
