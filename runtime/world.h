#pragma once
// WorldInfo: where this process sits in a data-parallel job, read from the
// environment the Kubeflow operators inject:
//   PyTorchJob: MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK (LOCAL_RANK)
//   torchrun / elastic: PET_MASTER_ADDR, PET_MASTER_PORT, PET_NNODES,
//                       PET_NPROC_PER_NODE, PET_NODE_RANK
//   TFJob: TF_CONFIG {"cluster": {...}, "task": {"type", "index"}}; ranks
//          follow chief, master, worker, ps order; rank 0's host:port is
//          the rendezvous address. An evaluator does not join.
// Nothing set means a single process (rank 0 of 1).

#include <functional>
#include <string>

namespace kf::trainer {

struct WorldInfo {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source = "single"; // single | env | pet | tf_config
  std::string role;              // TF_CONFIG: e.g. "worker 1"
  bool participates = true;      // false for a TF_CONFIG evaluator
};

using GetEnv = std::function<const char*(const char*)>;

// Throws UsageError with a message naming the variable that is wrong.
WorldInfo world_from_env(const GetEnv& getenv);
WorldInfo parse_tf_config(const std::string& json);

} // namespace kf::trainer
