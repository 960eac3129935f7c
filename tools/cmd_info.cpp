// tools/cmd_info.cpp — `lethe info`: what this build can do and which devices it sees.
#include <cstdio>

#include "kernels/runtime.h"
#include "tools/args.h"
#include "tools/commands.h"

namespace lethe::cli {

int cmd_info(int argc, char** argv) {
  Args a("info", "Prints the build configuration and the CUDA devices this process can use.");
  if (!a.parse(argc, argv)) return 0;
  std::printf("lethe %s\n", "0.1.0");
  std::printf("CUDA backend compiled: %s\n", cuda::built_with_cuda() ? "yes" : "no");
  std::printf("CUDA devices: %d (%s)\n", cuda::device_count(), cuda::device_description().c_str());
  return 0;
}

}  // namespace lethe::cli
