// tests/engine/test_gradslab.cpp — the gradient slab's deferred zero (engine/params.h): every
// reader sees zeros after zero() whatever the buffer held, a writer that overwrites a tensor can
// take it without the fill exactly once, accumulating writers and all() fill what is pending,
// and the padding between tensors stays zero.
#include "engine/ops.h"
#include "engine/params.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

ParamStore three_tensors(Ctx& ctx) {
  ParamStore ps(ctx, DType::F32);
  ps.add("a", 3, 5, "id", 0);   // 15 elements: one padded 16-element block
  ps.add("b", 2, 8, "id", 1);
  ps.add("c", 4, 4, "shared", 2);
  ps.finalize();
  return ps;
}

TEST(GradSlab, DeferredZeroReadsAsZeroEverywhere) {
  Ctx ctx(Device::CPU);
  const ParamStore ps = three_tensors(ctx);
  GradSlab g(ps);
  for (int id = 0; id < 3; ++id) ops::fill(ctx, g.view(id), 7.0);  // garbage from a previous step
  g.zero(ctx);
  for (double v : g.all().to_host(ctx)) EXPECT_EQ(v, 0.0);  // all(): everything pending filled
}

TEST(GradSlab, FirstWriterSkipsTheFillOnceAndAccumulatorsSeeZeros) {
  Ctx ctx(Device::CPU);
  const ParamStore ps = three_tensors(ctx);
  GradSlab g(ps);
  for (int id = 0; id < 3; ++id) ops::fill(ctx, g.view(id), 7.0);
  g.zero(ctx);
  bool first = false;
  const Tensor a = g.view_first(0, first);
  EXPECT_TRUE(first);  // pending: the caller overwrites it
  ops::fill(ctx, a, 2.0);
  g.view_first(0, first);
  EXPECT_FALSE(first);  // taken once: a second writer accumulates
  const Tensor b = g.view(1);  // an accumulating writer: filled on demand
  for (double v : b.to_host(ctx)) EXPECT_EQ(v, 0.0);
  ops::axpy(ctx, 1.0, b, b);
  const std::vector<double> all = g.all().to_host(ctx);  // c was never touched: filled now
  const auto& off = ps.offsets();
  for (int64_t e = 0; e < ps.numel(); ++e) {
    const double want = (e >= off[0] && e < off[0] + 15) ? 2.0 : 0.0;  // a's elements, not its padding
    EXPECT_EQ(all[static_cast<size_t>(e)], want) << "element " << e;
  }
}

}  // namespace
}  // namespace lethe
