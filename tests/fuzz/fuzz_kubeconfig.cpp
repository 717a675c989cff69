// libFuzzer target: any bytes as a kubeconfig file, read as `kf --target`
// and `kf status --context <TAB>` read it (libkf/kube/kubeconfig.cpp). Bad
// files may only raise kf::Error; nothing else may escape, crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "libkf/kube/kubeconfig.h"
#include "libkf/util/error.h"
#include "tests/fuzz/scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = kf::fuzz::scratch_file("config", data, size);
  kf::kube::KubeconfigOptions o;
  o.kubeconfig = path;
  o.kubeconfig_env = "";
  o.home = "/nonexistent";
  o.service_host = "";
  o.service_port = "";
  try {
    (void)kf::kube::kubeconfig_contexts(o);
    const auto c = kf::kube::load_kubeconfig(o);
    if (c.server.empty() && !c.exec) (void)c.namespace_.size();
  } catch (const kf::Error&) {
  }
  return 0;
}
