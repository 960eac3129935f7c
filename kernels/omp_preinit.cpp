// kernels/omp_preinit.cpp — the pre-initialiser that makes every Lethe executable wait passively
// in OpenMP however it is started (see below). Linked into executables only.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace lethe {

// ---- OpenMP wait policy ------------------------------------------------------------------------
// libgomp spin-waits by default at the end of every parallel region (up to ~300k spins per
// thread before it sleeps): on a machine whose cores are shared, the spinning threads take the
// cores the other processes (or this one's own busy threads) need, and CPU steps got several
// times slower (an MGCN epoch 548 s spinning vs 95 s passive on a loaded 2-core machine).
// libgomp reads OMP_WAIT_POLICY (and GOMP_SPINCOUNT) once, in its ELF constructor, before main()
// and before any constructor of the program; a setenv() in main or in a static initialiser is too
// late. Earlier still the dynamic loader runs the executable's .preinit_array, but libc's own
// initialisation, which comes between the two, resets the environment to the one the kernel
// passed, so a variable set there is gone by the time libgomp looks. What works is to start again
// with the variable: this pre-initialiser, when neither variable is set, re-executes the program
// (/proc/self/exe, same arguments) with OMP_WAIT_POLICY=passive added to its environment, before
// any library has initialised (about a millisecond). A policy or spin count the user set is
// respected; if the re-execution fails (no /proc), the program simply runs on unchanged.
// A shared library cannot carry a .preinit_array (the linker refuses it), so this file is not
// part of any library: kernels/CMakeLists.txt links its object into every executable that links
// lethe_kernels (the CLI, tests, benchmarks), and into nothing else. A program that loads Lethe
// as a shared library (liblethe.so, the Python module) chooses its own policy; the Python package
// sets OMP_WAIT_POLICY=passive before the module loads, unless the user chose one.
namespace {
void lethe_preinit_omp_wait(int, char** argv, char** envp) {
  if (!envp || !argv) return;
  size_t n = 0;
  for (; envp[n]; ++n)
    if (!std::strncmp(envp[n], "OMP_WAIT_POLICY=", 16) || !std::strncmp(envp[n], "GOMP_SPINCOUNT=", 15)) return;
  static char kPassive[] = "OMP_WAIT_POLICY=passive";
  char** env = static_cast<char**>(std::malloc((n + 2) * sizeof(char*)));
  if (!env) return;
  std::memcpy(env, envp, n * sizeof(char*));
  env[n] = kPassive;
  env[n + 1] = nullptr;
  execve("/proc/self/exe", argv, env);
  std::free(env);  // still here: run on with libgomp's default policy
}
}  // namespace
__attribute__((section(".preinit_array"), used)) static void (*const lethe_preinit_entry)(int, char**, char**) =
    &lethe_preinit_omp_wait;

}  // namespace lethe
