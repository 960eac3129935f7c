// tests/kernels/test_elementwise.cpp — elementwise family: finite-difference checks of every
// backward (CPU, double) and CUDA against the CPU reference over a table of lengths.
#include <limits>

#include "kernels/elementwise.h"

#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

const std::vector<int64_t> kLengths = {1, 7, 31, 255, 256, 257, 1000, 65537};
const std::vector<std::pair<int64_t, int64_t>> kShapes = {{1, 1}, {3, 5}, {17, 64}, {100, 33}, {513, 7}, {2, 1000}};

// ---- finite differences (double) ------------------------------------------------------------
// For a unary map y = f(x): check backward(dy = w) against d/dx Σ w·f(x). Inputs avoid the
// kink of PReLU at 0 (|x| ≥ 0.05) so central differences are valid.
template <class Fwd, class Bwd>
void fd_unary(Fwd fwd, Bwd bwd, uint64_t seed, bool bwd_takes_y) {
  const int64_t n = 41;
  auto x = random_vec<double>(n, seed, -3, 3);
  for (auto& v : x) if (std::abs(v) < 0.05) v = 0.05;
  const auto w = random_vec<double>(n, seed + 1);
  std::vector<double> y(n);
  auto f = [&] { fwd(Vec<const double>(x.data(), n), Vec<double>(y.data(), n)); return test::project(y, w); };
  const auto fd = test::fd_gradient(f, x);
  f();
  std::vector<double> dx(n, 0.25);  // backward accumulates: start from a non-zero value
  const std::vector<double>& in = bwd_takes_y ? y : x;
  bwd(Vec<const double>(in.data(), n), Vec<const double>(w.data(), n), Vec<double>(dx.data(), n));
  for (auto& v : dx) v -= 0.25;
  EXPECT_TRUE(allclose(dx, fd, test::kTolFd, "dx"));
}

TEST(FiniteDiff_sigmoid, Backward) {
  fd_unary([](auto x, auto y) { ref::sigmoid<double>(x, y); },
           [](auto y, auto dy, auto dx) { ref::sigmoid_backward<double>(y, dy, dx); }, 11, true);
}
TEST(FiniteDiff_tanh, Backward) {
  fd_unary([](auto x, auto y) { ref::tanh<double>(x, y); },
           [](auto y, auto dy, auto dx) { ref::tanh_backward<double>(y, dy, dx); }, 12, true);
}
// The write form of a first gradient contribution (accumulate = false): the bits of adding into
// zeros, and dx is never read (a NaN there does not propagate).
TEST(Ref_unary_backward, WriteFormEqualsAddingIntoZeros) {
  for (int64_t n : {int64_t(1), int64_t(17), int64_t(70000)}) {
    const auto y = random_vec<float>(n, 41, -0.99, 0.99), dy = random_vec<float>(n, 42);
    using CVf = Vec<const float>;
    for (int which = 0; which < 2; ++which) {
      std::vector<float> add(n, 0.f), write(n, std::numeric_limits<float>::quiet_NaN());
      const auto run = [&](std::vector<float>& dx, bool accumulate) {
        if (which == 0) ref::sigmoid_backward<float>(CVf(y.data(), n), CVf(dy.data(), n), Vec<float>(dx.data(), n), accumulate);
        else ref::tanh_backward<float>(CVf(y.data(), n), CVf(dy.data(), n), Vec<float>(dx.data(), n), accumulate);
      };
      run(add, true);
      run(write, false);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(add[i], write[i]) << (which ? "tanh" : "sigmoid") << "_backward, n " << n << ", element " << i;
    }
  }
}

TEST(FiniteDiff_softplus, Backward) {
  fd_unary([](auto x, auto y) { ref::softplus<double>(x, y); },
           [](auto x, auto dy, auto dx) { ref::softplus_backward<double>(x, dy, dx); }, 13, false);
}
TEST(FiniteDiff_softplus, StableAtExtremes) {
  std::vector<double> x = {-800, -40, 0, 40, 800}, y(5);
  ref::softplus<double>(Vec<const double>(x.data(), 5), Vec<double>(y.data(), 5));
  for (double v : y) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(y[2], std::log(2.0), 1e-15);
  EXPECT_NEAR(y[4], 800.0, 1e-12);
  EXPECT_NEAR(y[0], 0.0, 1e-300);
}
TEST(FiniteDiff_mul, Backward) {
  const int64_t n = 23;
  auto a = random_vec<double>(n, 21), b = random_vec<double>(n, 22);
  const auto w = random_vec<double>(n, 23);
  std::vector<double> y(n);
  auto f = [&] {
    ref::mul<double>(Vec<const double>(a.data(), n), Vec<const double>(b.data(), n), Vec<double>(y.data(), n));
    return test::project(y, w);
  };
  const auto fa = test::fd_gradient(f, a), fb = test::fd_gradient(f, b);
  std::vector<double> da(n, 0.0), db(n, 0.0);
  ref::mul_backward<double>(Vec<const double>(a.data(), n), Vec<const double>(b.data(), n),
                            Vec<const double>(w.data(), n), Vec<double>(da.data(), n), Vec<double>(db.data(), n));
  EXPECT_TRUE(allclose(da, fa, test::kTolFd, "da"));
  EXPECT_TRUE(allclose(db, fb, test::kTolFd, "db"));
}
TEST(FiniteDiff_prelu, BackwardInputAndSlope) {
  const int64_t n = 37;
  auto x = random_vec<double>(n, 31, -2, 2);
  for (auto& v : x) if (std::abs(v) < 0.05) v = -0.05;
  std::vector<double> a = {0.25};
  const auto w = random_vec<double>(n, 32);
  std::vector<double> y(n);
  auto f = [&] {
    ref::prelu<double>(Vec<const double>(x.data(), n), a.data(), Vec<double>(y.data(), n));
    return test::project(y, w);
  };
  const auto fx = test::fd_gradient(f, x), fa = test::fd_gradient(f, a);
  std::vector<double> dx(n, 0.0);
  double da = 1.5;  // accumulates
  ref::prelu_backward<double>(Vec<const double>(x.data(), n), a.data(), Vec<const double>(w.data(), n),
                              Vec<double>(dx.data(), n), &da);
  EXPECT_TRUE(allclose(dx, fx, test::kTolFd, "dx"));
  EXPECT_NEAR(da - 1.5, fa[0], 1e-7);
}
TEST(FiniteDiff_scale_rows, Backward) {
  const int64_t R = 6, C = 5;
  auto X = random_vec<double>(R * C, 41), s = random_vec<double>(R, 42);
  const auto w = random_vec<double>(R * C, 43);
  std::vector<double> Y(R * C);
  auto f = [&] {
    ref::scale_rows<double>(Mat<const double>(X.data(), R, C), Vec<const double>(s.data(), R), Mat<double>(Y.data(), R, C));
    return test::project(Y, w);
  };
  const auto fX = test::fd_gradient(f, X), fs = test::fd_gradient(f, s);
  std::vector<double> dX(R * C, 0.0), ds(R, 0.0);
  ref::scale_rows_backward<double>(Mat<const double>(X.data(), R, C), Vec<const double>(s.data(), R),
                                   Mat<const double>(w.data(), R, C), Mat<double>(dX.data(), R, C),
                                   Vec<double>(ds.data(), R));
  EXPECT_TRUE(allclose(dX, fX, test::kTolFd, "dX"));
  EXPECT_TRUE(allclose(ds, fs, test::kTolFd, "ds"));
}

TEST(ElementwiseRef, ShapeMismatchThrows) {
  std::vector<float> a(3), b(4), y(3);
  EXPECT_THROW(ref::add<float>(Vec<const float>(a.data(), 3), Vec<const float>(b.data(), 4), Vec<float>(y.data(), 3)), Error);
}

TEST(ElementwiseRef, WritesOnlyInsideOutput) {
  Guarded<float> y(257);
  auto x = random_vec<float>(257, 5);
  ref::sigmoid<float>(Vec<const float>(x.data(), 257), y.vec());
  EXPECT_TRUE(y.guards_intact());
  for (float v : y.get()) EXPECT_TRUE(std::isfinite(v));
}

// ---- CUDA vs reference ----------------------------------------------------------------------
// Runs the float reference on host copies and the CUDA op on guarded device copies of the same
// seeded inputs, for every length in kLengths. `run_ref(in, out)` / `run_gpu(in, out, g)` take
// vectors of views (inputs first). Outputs start from the same non-zero values (so accumulating
// backwards are checked as accumulating) — except forward ops, whose outputs are poisoned.
struct MapCase {
  int n_in, n_out;
  bool out_accumulates;
};

template <class RefFn, class GpuFn>
void cuda_vs_ref_map(const char* op, MapCase mc, RefFn run_ref, GpuFn run_gpu, test::Tol tol = test::kTolMap,
                     double lo = -3, double hi = 3) {
  cuda::Context ctx;
  for (int64_t n : kLengths) {
    SCOPED_TRACE(test::case_name(op, {n}, 100 + n));
    std::vector<std::vector<float>> in, out0;
    for (int k = 0; k < mc.n_in; ++k) in.push_back(random_vec<float>(n, 100 + n + k, lo, hi));
    for (int k = 0; k < mc.n_out; ++k) out0.push_back(random_vec<float>(n, 900 + n + k));
    // reference
    std::vector<Guarded<float>> rin, rout;
    for (auto& v : in) rin.emplace_back(v);
    for (auto& v : out0) { rout.emplace_back(n); if (mc.out_accumulates) rout.back().set(v); }
    std::vector<Vec<float>> rv;
    for (auto& b : rin) rv.push_back(b.vec());
    for (auto& b : rout) rv.push_back(b.vec());
    run_ref(rv);
    // device
    std::vector<std::unique_ptr<test::DeviceGuarded<float>>> din, dout;
    for (auto& v : in) din.push_back(std::make_unique<test::DeviceGuarded<float>>(ctx, v));
    for (auto& v : out0) {
      dout.push_back(std::make_unique<test::DeviceGuarded<float>>(ctx, n));
      if (mc.out_accumulates) dout.back()->upload(v);
    }
    std::vector<Vec<float>> dv;
    for (auto& b : din) dv.push_back(b->vec());
    for (auto& b : dout) dv.push_back(b->vec());
    run_gpu(dv, ctx.exec());
    ctx.sync();
    for (int k = 0; k < mc.n_out; ++k) {
      EXPECT_TRUE(dout[k]->guards_intact()) << "out-of-bounds write, output " << k;
      EXPECT_TRUE(allclose(dout[k]->download(), rout[k].get(), tol, std::string(op) + " output " + std::to_string(k)));
    }
    ctx.arena().reset();
  }
}

#define CV(v) Vec<const float>(v)
TEST(CudaVsRef_fill, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("fill", {0, 1, false}, [](auto v) { ref::fill<float>(v[0], 1.25f); },
                  [](auto v, auto g) { cuda::fill(v[0], 1.25f, g); });
}
TEST(CudaVsRef_copy, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("copy", {1, 1, false}, [](auto v) { ref::copy<float>(CV(v[0]), v[1]); },
                  [](auto v, auto g) { cuda::copy(CV(v[0]), v[1], g); });
}
TEST(CudaVsRef_add, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("add", {2, 1, false}, [](auto v) { ref::add<float>(CV(v[0]), CV(v[1]), v[2]); },
                  [](auto v, auto g) { cuda::add(CV(v[0]), CV(v[1]), v[2], g); });
}
TEST(CudaVsRef_sub, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("sub", {2, 1, false}, [](auto v) { ref::sub<float>(CV(v[0]), CV(v[1]), v[2]); },
                  [](auto v, auto g) { cuda::sub(CV(v[0]), CV(v[1]), v[2], g); });
}
TEST(CudaVsRef_mul, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("mul", {2, 1, false}, [](auto v) { ref::mul<float>(CV(v[0]), CV(v[1]), v[2]); },
                  [](auto v, auto g) { cuda::mul(CV(v[0]), CV(v[1]), v[2], g); });
}
TEST(CudaVsRef_scale, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("scale", {1, 1, false}, [](auto v) { ref::scale<float>(CV(v[0]), -0.7f, v[1]); },
                  [](auto v, auto g) { cuda::scale(CV(v[0]), -0.7f, v[1], g); });
}
TEST(CudaVsRef_axpy, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("axpy", {1, 1, true}, [](auto v) { ref::axpy<float>(0.3f, CV(v[0]), v[1]); },
                  [](auto v, auto g) { cuda::axpy(0.3f, CV(v[0]), v[1], g); });
}
TEST(CudaVsRef_mul_backward, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("mul_backward", {3, 2, true},
                  [](auto v) { ref::mul_backward<float>(CV(v[0]), CV(v[1]), CV(v[2]), v[3], v[4]); },
                  [](auto v, auto g) { cuda::mul_backward(CV(v[0]), CV(v[1]), CV(v[2]), v[3], v[4], g); });
}
TEST(CudaVsRef_sigmoid, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("sigmoid", {1, 1, false}, [](auto v) { ref::sigmoid<float>(CV(v[0]), v[1]); },
                  [](auto v, auto g) { cuda::sigmoid(CV(v[0]), v[1], g); }, test::kTolMap, -30, 30);
}
TEST(CudaVsRef_sigmoid_backward, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("sigmoid_backward", {2, 1, true},
                  [](auto v) { ref::sigmoid_backward<float>(CV(v[0]), CV(v[1]), v[2]); },
                  [](auto v, auto g) { cuda::sigmoid_backward(CV(v[0]), CV(v[1]), v[2], g); });
}
TEST(CudaVsRef_sigmoid_backward, WriteForm) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("sigmoid_backward_write", {2, 1, false},
                  [](auto v) { ref::sigmoid_backward<float>(CV(v[0]), CV(v[1]), v[2], false); },
                  [](auto v, auto g) { cuda::sigmoid_backward(CV(v[0]), CV(v[1]), v[2], g, false); });
}
TEST(CudaVsRef_tanh, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("tanh", {1, 1, false}, [](auto v) { ref::tanh<float>(CV(v[0]), v[1]); },
                  [](auto v, auto g) { cuda::tanh(CV(v[0]), v[1], g); });
}
TEST(CudaVsRef_tanh_backward, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("tanh_backward", {2, 1, true}, [](auto v) { ref::tanh_backward<float>(CV(v[0]), CV(v[1]), v[2]); },
                  [](auto v, auto g) { cuda::tanh_backward(CV(v[0]), CV(v[1]), v[2], g); });
}
TEST(CudaVsRef_tanh_backward, WriteForm) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("tanh_backward_write", {2, 1, false},
                  [](auto v) { ref::tanh_backward<float>(CV(v[0]), CV(v[1]), v[2], false); },
                  [](auto v, auto g) { cuda::tanh_backward(CV(v[0]), CV(v[1]), v[2], g, false); });
}
TEST(CudaVsRef_softplus, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("softplus", {1, 1, false}, [](auto v) { ref::softplus<float>(CV(v[0]), v[1]); },
                  [](auto v, auto g) { cuda::softplus(CV(v[0]), v[1], g); }, test::kTolMap, -60, 60);
}
TEST(CudaVsRef_softplus_backward, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda_vs_ref_map("softplus_backward", {2, 1, true},
                  [](auto v) { ref::softplus_backward<float>(CV(v[0]), CV(v[1]), v[2]); },
                  [](auto v, auto g) { cuda::softplus_backward(CV(v[0]), CV(v[1]), v[2], g); });
}
TEST(CudaVsRef_prelu, Lengths) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;  // fills the slope; the comparisons run on a context of their own
  test::DeviceGuarded<float> slope(ctx, std::vector<float>{0.25f});
  const float hslope = 0.25f;
  float* ds = slope.data();
  cuda_vs_ref_map("prelu", {1, 1, false}, [&](auto v) { ref::prelu<float>(CV(v[0]), &hslope, v[1]); },
                  [&](auto v, auto g) { cuda::prelu(CV(v[0]), ds, v[1], g); });
}
TEST(CudaVsRef_prelu_backward, LengthsAndSlope) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (int64_t n : kLengths) {
    SCOPED_TRACE(test::case_name("prelu_backward", {n}, 7));
    const auto x = random_vec<float>(n, 7 + n), dy = random_vec<float>(n, 8 + n);
    const float slope = 0.25f;
    std::vector<float> dx_ref = random_vec<float>(n, 9 + n);
    float ds_ref = 0.5f;
    test::DeviceGuarded<float> dxd(ctx, dx_ref), xd(ctx, x), dyd(ctx, dy), sd(ctx, std::vector<float>{slope}), dsd(ctx, std::vector<float>{0.5f});
    ref::prelu_backward<float>(Vec<const float>(x.data(), n), &slope, Vec<const float>(dy.data(), n),
                               Vec<float>(dx_ref.data(), n), &ds_ref);
    cuda::prelu_backward(CV(xd.vec()), sd.data(), CV(dyd.vec()), dxd.vec(), dsd.data(), ctx.exec());
    ctx.sync();
    EXPECT_TRUE(allclose(dxd.download(), dx_ref, test::kTolMap, "dx"));
    // The slope gradient is a sum over n terms: summation order differs from the CPU's.
    EXPECT_TRUE(allclose(dsd.download(), std::vector<float>{ds_ref}, test::kTolSum, "dslope"));
    EXPECT_TRUE(dxd.guards_intact() && dsd.guards_intact());
    ctx.arena().reset();
  }
}
TEST(CudaVsRef_scale_rows, Shapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (auto [R, C] : kShapes) {
    SCOPED_TRACE(test::case_name("scale_rows", {R, C}, 3));
    const auto X = random_vec<float>(R * C, 3 + R), s = random_vec<float>(R, 4 + C);
    std::vector<float> Y(R * C);
    ref::scale_rows<float>(Mat<const float>(X.data(), R, C), Vec<const float>(s.data(), R), Mat<float>(Y.data(), R, C));
    test::DeviceGuarded<float> Xd(ctx, X), sd(ctx, s), Yd(ctx, R * C);
    cuda::scale_rows(Mat<const float>(Xd.data(), R, C), CV(sd.vec()), Yd.mat(R, C), ctx.exec());
    EXPECT_TRUE(allclose(Yd.download(), Y, test::kTolMap, "Y"));
    EXPECT_TRUE(Yd.guards_intact());
  }
}
TEST(CudaVsRef_scale_rows_backward, Shapes) {
  LETHE_REQUIRE_GPU();
  cuda::Context ctx;
  for (auto [R, C] : kShapes) {
    SCOPED_TRACE(test::case_name("scale_rows_backward", {R, C}, 5));
    const auto X = random_vec<float>(R * C, 5 + R), s = random_vec<float>(R, 6 + C), dY = random_vec<float>(R * C, 7);
    auto dX = random_vec<float>(R * C, 8), ds = random_vec<float>(R, 9);
    test::DeviceGuarded<float> Xd(ctx, X), sd(ctx, s), dYd(ctx, dY), dXd(ctx, dX), dsd(ctx, ds);
    ref::scale_rows_backward<float>(Mat<const float>(X.data(), R, C), Vec<const float>(s.data(), R),
                                    Mat<const float>(dY.data(), R, C), Mat<float>(dX.data(), R, C),
                                    Vec<float>(ds.data(), R));
    cuda::scale_rows_backward(Mat<const float>(Xd.data(), R, C), CV(sd.vec()), Mat<const float>(dYd.data(), R, C),
                              dXd.mat(R, C), dsd.vec(), ctx.exec());
    EXPECT_TRUE(allclose(dXd.download(), dX, test::kTolMap, "dX"));
    EXPECT_TRUE(allclose(dsd.download(), ds, test::kTolSum, "ds"));  // row sums: order differs
    EXPECT_TRUE(dXd.guards_intact() && dsd.guards_intact());
  }
}
#undef CV

}  // namespace
}  // namespace lethe
