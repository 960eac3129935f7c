// bench/profile/gomp_regions.cpp — counts OpenMP parallel regions for the step profile.
// GCC compiles `#pragma omp parallel [for]` into calls of libgomp's GOMP_parallel* entry points.
// This program defines those entry points itself: the static link binds every call made by the
// engine's code (linked into this executable) to these definitions, which count the region in
// lethe::prof::parallel_regions() and forward to libgomp's own (looked up once with
// dlsym(RTLD_NEXT)). Only this benchmark carries them; the lethe binary calls libgomp directly.
// A region counts when the code asked for parallelism: num_threads == 1 is GCC's encoding of a
// false `if` clause (the region runs serially), and is not counted.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "engine/op_profile.h"

namespace {

template <class F>
F real(const char* name) {
  void* p = dlsym(RTLD_NEXT, name);
  if (!p) {
    std::fprintf(stderr, "step profile: libgomp has no %s (%s)\n", name, dlerror());
    std::abort();
  }
  lethe::prof::note_region_counting();
  return reinterpret_cast<F>(p);
}

void count(unsigned num_threads) {
  if (num_threads != 1) lethe::prof::parallel_regions().fetch_add(1, std::memory_order_relaxed);
}

using Fn = void (*)(void*);

}  // namespace

extern "C" {

void GOMP_parallel(Fn fn, void* data, unsigned num_threads, unsigned flags) {
  static const auto f = real<void (*)(Fn, void*, unsigned, unsigned)>("GOMP_parallel");
  count(num_threads);
  f(fn, data, num_threads, flags);
}

#define LETHE_WRAP_LOOP(name)                                                                          \
  void name(Fn fn, void* data, unsigned num_threads, long start, long end, long incr, long chunk,       \
            unsigned flags) {                                                                          \
    static const auto f = real<void (*)(Fn, void*, unsigned, long, long, long, long, unsigned)>(#name); \
    count(num_threads);                                                                                \
    f(fn, data, num_threads, start, end, incr, chunk, flags);                                          \
  }
LETHE_WRAP_LOOP(GOMP_parallel_loop_static)
LETHE_WRAP_LOOP(GOMP_parallel_loop_dynamic)
LETHE_WRAP_LOOP(GOMP_parallel_loop_guided)
LETHE_WRAP_LOOP(GOMP_parallel_loop_nonmonotonic_dynamic)
LETHE_WRAP_LOOP(GOMP_parallel_loop_nonmonotonic_guided)
#undef LETHE_WRAP_LOOP

void GOMP_parallel_loop_runtime(Fn fn, void* data, unsigned num_threads, long start, long end, long incr,
                                unsigned flags) {
  static const auto f = real<void (*)(Fn, void*, unsigned, long, long, long, unsigned)>("GOMP_parallel_loop_runtime");
  count(num_threads);
  f(fn, data, num_threads, start, end, incr, flags);
}

void GOMP_parallel_sections(Fn fn, void* data, unsigned num_threads, unsigned count_, unsigned flags) {
  static const auto f = real<void (*)(Fn, void*, unsigned, unsigned, unsigned)>("GOMP_parallel_sections");
  count(num_threads);
  f(fn, data, num_threads, count_, flags);
}

}  // extern "C"

namespace lethe::prof {
// Called once at start-up by the profile's main so that "regions counted" is known before the
// first region (a lookup that fails aborts with a message instead of miscounting).
void install_region_counter() {
  GOMP_parallel([](void*) {}, nullptr, 1, 0);
}
}  // namespace lethe::prof
