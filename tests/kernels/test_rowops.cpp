// tests/kernels/test_rowops.cpp — rowops family (kernels/rowops.h): finite-difference checks of
// every backward (CPU, double, gradients start from non-zero values so accumulation is checked),
// reference sanity (l2norm's eps branch and zero rows, softmax at extremes, thread-count
// independent sums, guards) and CUDA against the CPU reference over a table of shapes
// (rows 1, 31, 33, 1000 × cols 1, 2, 3, 64, 65) with poisoned outputs and guard regions.
#include <omp.h>

#include <memory>

#include "kernels/rowops.h"
#include "tests/test_util.h"

namespace lethe {
namespace {

using test::allclose;
using test::Guarded;
using test::random_vec;

using MD = Mat<const double>;
using VD = Vec<const double>;

// Subtracts the starting value of an accumulated gradient, leaving the increment.
std::vector<double> minus(std::vector<double> v, double start) {
  for (auto& x : v) x -= start;
  return v;
}

// ---- finite differences (double) ------------------------------------------------------------
TEST(FiniteDiff_rowdot, Backward) {
  const int64_t R = 5, C = 7;
  auto X = random_vec<double>(R * C, 1), Y = random_vec<double>(R * C, 2);
  const auto w = random_vec<double>(R, 3);
  std::vector<double> out(R);
  auto f = [&] {
    ref::rowdot<double>(MD(X.data(), R, C), MD(Y.data(), R, C), Vec<double>(out.data(), R));
    return test::project(out, w);
  };
  const auto fX = test::fd_gradient(f, X), fY = test::fd_gradient(f, Y);
  std::vector<double> dX(R * C, 0.25), dY(R * C, -0.5);
  ref::rowdot_backward<double>(MD(X.data(), R, C), MD(Y.data(), R, C), VD(w.data(), R), Mat<double>(dX.data(), R, C),
                               Mat<double>(dY.data(), R, C));
  EXPECT_TRUE(allclose(minus(dX, 0.25), fX, test::kTolFd, "dX"));
  EXPECT_TRUE(allclose(minus(dY, -0.5), fY, test::kTolFd, "dY"));
  // An empty gradient is skipped, the other still accumulates.
  std::vector<double> dY2(R * C, 0.0);
  ref::rowdot_backward<double>(MD(X.data(), R, C), MD(Y.data(), R, C), VD(w.data(), R), Mat<double>(),
                               Mat<double>(dY2.data(), R, C));
  EXPECT_TRUE(allclose(dY2, fY, test::kTolFd, "dY (dX empty)"));
}

// y = x / max(‖x‖, eps) projected on w; `scale_rows` sets each row's norm so that both branches
// are exercised away from the kink at ‖x‖ = eps.
void fd_l2norm(double eps, const std::vector<double>& row_norms, uint64_t seed) {
  const int64_t R = static_cast<int64_t>(row_norms.size()), C = 6;
  auto X = random_vec<double>(R * C, seed);
  for (int64_t r = 0; r < R; ++r) {
    double n = 0;
    for (int64_t c = 0; c < C; ++c) n += X[r * C + c] * X[r * C + c];
    n = std::sqrt(n);
    for (int64_t c = 0; c < C; ++c) X[r * C + c] *= row_norms[r] / n;
  }
  const auto w = random_vec<double>(R * C, seed + 1);
  std::vector<double> Y(R * C), nrm(R);
  auto f = [&] {
    ref::l2norm_rows<double>(MD(X.data(), R, C), eps, Mat<double>(Y.data(), R, C), Vec<double>(nrm.data(), R));
    return test::project(Y, w);
  };
  const auto fX = test::fd_gradient(f, X);
  f();
  for (int64_t r = 0; r < R; ++r) EXPECT_NEAR(nrm[r], row_norms[r], 1e-12);
  std::vector<double> dX(R * C, 0.75);
  ref::l2norm_rows_backward<double>(MD(Y.data(), R, C), VD(nrm.data(), R), eps, MD(w.data(), R, C),
                                    Mat<double>(dX.data(), R, C));
  // Gradients are 1/max(‖x‖, eps)-sized, and so are the finite-difference errors: scale atol.
  double big = 1.0;
  for (double n : row_norms) big = std::max(big, 1.0 / std::max(n, eps));
  EXPECT_TRUE(allclose(minus(dX, 0.75), fX, test::Tol{1e-7 * big, 1e-5}, "dX"));
}
TEST(FiniteDiff_l2norm_rows, NormAboveEps) { fd_l2norm(1e-12, {1.0, 0.3, 5.0, 2e-3}, 11); }
TEST(FiniteDiff_l2norm_rows, NormBelowEpsBranch) {
  // eps = 0.5: rows with norm 0.1 and 0.3 take the y = x/eps branch, rows 0.9 and 2.0 the other.
  fd_l2norm(0.5, {0.1, 0.9, 0.3, 2.0}, 12);
}
TEST(FiniteDiff_l2norm_rows, ZeroRowIsFiniteAndExact) {
  // A zero row (torch.nn.functional.normalize): y = 0, and the gradient is dY/eps exactly.
  const int64_t C = 4;
  std::vector<double> X(C, 0.0), Y(C), n(1), dY = {1e-13, -2e-13, 0.0, 5e-13}, dX(C, 1.0);
  const double eps = 1e-12;
  ref::l2norm_rows<double>(MD(X.data(), 1, C), eps, Mat<double>(Y.data(), 1, C), Vec<double>(n.data(), 1));
  EXPECT_EQ(n[0], 0.0);
  for (double v : Y) EXPECT_EQ(v, 0.0);
  ref::l2norm_rows_backward<double>(MD(Y.data(), 1, C), VD(n.data(), 1), eps, MD(dY.data(), 1, C),
                                    Mat<double>(dX.data(), 1, C));
  for (int64_t c = 0; c < C; ++c) EXPECT_DOUBLE_EQ(dX[c], 1.0 + dY[c] / eps);
}

TEST(FiniteDiff_softmax_rows, Backward) {
  for (int64_t C : {1, 2, 3, 5}) {
    SCOPED_TRACE(test::case_name("softmax_rows", {C}, 21));
    const int64_t R = 4;
    auto X = random_vec<double>(R * C, 21 + C, -3, 3);
    const auto w = random_vec<double>(R * C, 22 + C);
    std::vector<double> Y(R * C);
    auto f = [&] {
      ref::softmax_rows<double>(MD(X.data(), R, C), Mat<double>(Y.data(), R, C));
      return test::project(Y, w);
    };
    const auto fX = test::fd_gradient(f, X);
    f();
    std::vector<double> dX(R * C, -0.125);
    ref::softmax_rows_backward<double>(MD(Y.data(), R, C), MD(w.data(), R, C), Mat<double>(dX.data(), R, C));
    EXPECT_TRUE(allclose(minus(dX, -0.125), fX, test::kTolFd, "dX"));
  }
}

TEST(FiniteDiff_mean_of, Backward) {
  const int64_t R = 3, C = 4, L = 3;
  std::vector<std::vector<double>> xs;
  for (int l = 0; l < L; ++l) xs.push_back(random_vec<double>(R * C, 31 + l));
  const auto w = random_vec<double>(R * C, 35);
  std::vector<double> Y(R * C);
  auto f = [&] {
    MatList<const double> in;
    for (int l = 0; l < L; ++l) in.m[in.n++] = MD(xs[l].data(), R, C);
    ref::mean_of<double>(in, Mat<double>(Y.data(), R, C));
    return test::project(Y, w);
  };
  std::vector<std::vector<double>> fd;
  for (int l = 0; l < L; ++l) fd.push_back(test::fd_gradient(f, xs[l]));
  std::vector<std::vector<double>> dxs(L, std::vector<double>(R * C, 0.5));
  MatList<double> g;
  for (int l = 0; l < L; ++l) g.m[g.n++] = Mat<double>(dxs[l].data(), R, C);
  g.m[1] = Mat<double>();  // an empty gradient is skipped
  ref::mean_of_backward<double>(MD(w.data(), R, C), g);
  EXPECT_TRUE(allclose(minus(dxs[0], 0.5), fd[0], test::kTolFd, "dX0"));
  EXPECT_TRUE(allclose(minus(dxs[2], 0.5), fd[2], test::kTolFd, "dX2"));
  for (double v : dxs[1]) EXPECT_EQ(v, 0.5);
}

// col_get and col_add are each other's backward.
TEST(FiniteDiff_col_get, GetAndAdd) {
  const int64_t R = 5, C = 3, m = 1;
  auto X = random_vec<double>(R * C, 41);
  auto x = random_vec<double>(R, 42);
  const auto wr = random_vec<double>(R, 43), wm = random_vec<double>(R * C, 44);
  std::vector<double> y(R), Y(R * C);
  auto fget = [&] {
    ref::col_get<double>(MD(X.data(), R, C), m, Vec<double>(y.data(), R), false);
    return test::project(y, wr);
  };
  auto fadd = [&] {
    std::fill(Y.begin(), Y.end(), 0.0);
    ref::col_add<double>(VD(x.data(), R), m, Mat<double>(Y.data(), R, C));
    return test::project(Y, wm);
  };
  const auto fX = test::fd_gradient(fget, X), fx = test::fd_gradient(fadd, x);
  std::vector<double> dX(R * C, 0.25), dx(R, 0.25);
  ref::col_add<double>(VD(wr.data(), R), m, Mat<double>(dX.data(), R, C));        // backward of col_get
  ref::col_get<double>(MD(wm.data(), R, C), m, Vec<double>(dx.data(), R), true);  // backward of col_add
  EXPECT_TRUE(allclose(minus(dX, 0.25), fX, test::kTolFd, "dX"));
  EXPECT_TRUE(allclose(minus(dx, 0.25), fx, test::kTolFd, "dx"));
}

TEST(FiniteDiff_sqnorm_sum, Backward) {
  const int64_t n = 29;
  auto x = random_vec<double>(n, 51);
  const double coef = 0.37, dout = 1.7;
  double out = 0;
  auto f = [&] {
    ref::sqnorm_sum<double>(VD(x.data(), n), coef, &out);
    return dout * out;
  };
  const auto fx = test::fd_gradient(f, x);
  std::vector<double> dx(n, -0.25);
  ref::sqnorm_sum_backward<double>(VD(x.data(), n), coef, &dout, Vec<double>(dx.data(), n));
  EXPECT_TRUE(allclose(minus(dx, -0.25), fx, test::kTolFd, "dx"));
}

TEST(FiniteDiff_sum, Backward) {
  const int64_t n = 29;
  auto x = random_vec<double>(n, 61);
  const double coef = -0.6, dout = 1.3;
  double out = 0;
  auto f = [&] {
    ref::sum<double>(VD(x.data(), n), coef, &out);
    return dout * out;
  };
  const auto fx = test::fd_gradient(f, x);
  std::vector<double> dx(n, 2.0);
  ref::sum_backward<double>(coef, &dout, Vec<double>(dx.data(), n));
  EXPECT_TRUE(allclose(minus(dx, 2.0), fx, test::kTolFd, "dx"));
}

// ---- reference sanity -----------------------------------------------------------------------
TEST(RowopsRef, SoftmaxStableAtExtremes) {
  std::vector<float> X = {1000.f, -1000.f, 0.f, 88.f, 89.f, 90.f}, Y(6);
  ref::softmax_rows<float>(Mat<const float>(X.data(), 2, 3), Mat<float>(Y.data(), 2, 3));
  for (float v : Y) EXPECT_TRUE(std::isfinite(v));
  EXPECT_FLOAT_EQ(Y[0], 1.f);
  EXPECT_FLOAT_EQ(Y[3] + Y[4] + Y[5], 1.f);
}

TEST(RowopsRef, ReferenceValues) {
  // rowdot, l2norm, mean_of, sums on hand-checkable data.
  std::vector<float> X = {3, 4, 0, 0}, Y = {1, 2, 5, 6}, out(2), Yn(4), n(2);
  ref::rowdot<float>(Mat<const float>(X.data(), 2, 2), Mat<const float>(Y.data(), 2, 2), Vec<float>(out.data(), 2));
  EXPECT_EQ(out[0], 11.f);
  EXPECT_EQ(out[1], 0.f);
  ref::l2norm_rows<float>(Mat<const float>(X.data(), 2, 2), 1e-12f, Mat<float>(Yn.data(), 2, 2), Vec<float>(n.data(), 2));
  EXPECT_EQ(n[0], 5.f);
  EXPECT_FLOAT_EQ(Yn[0], 0.6f);
  EXPECT_FLOAT_EQ(Yn[1], 0.8f);
  EXPECT_EQ(Yn[2], 0.f);
  float s = 0;
  ref::sqnorm_sum<float>(Vec<const float>(X.data(), 4), 0.5f, &s);
  EXPECT_EQ(s, 12.5f);
  ref::sum<float>(Vec<const float>(Y.data(), 4), 2.f, &s);
  EXPECT_EQ(s, 28.f);
  ref::sum<float>(Vec<const float>(), 2.f, &s);
  EXPECT_EQ(s, 0.f);
  MatList<const float> in;
  in.m[in.n++] = Mat<const float>(X.data(), 2, 2);
  in.m[in.n++] = Mat<const float>(Y.data(), 2, 2);
  std::vector<float> M(4);
  ref::mean_of<float>(in, Mat<float>(M.data(), 2, 2));
  EXPECT_EQ(M, (std::vector<float>{2.f, 3.f, 2.5f, 3.f}));
}

TEST(RowopsRef, SumsIndependentOfThreadCount) {
  const int64_t n = 100003;
  const auto x = random_vec<float>(n, 71);
  float a1 = 0, a2 = 0, b1 = 0, b2 = 0;
  const int keep = omp_get_max_threads();
  omp_set_num_threads(1);
  ref::sqnorm_sum<float>(Vec<const float>(x.data(), n), 0.3f, &a1);
  ref::sum<float>(Vec<const float>(x.data(), n), 0.3f, &b1);
  omp_set_num_threads(3);
  ref::sqnorm_sum<float>(Vec<const float>(x.data(), n), 0.3f, &a2);
  ref::sum<float>(Vec<const float>(x.data(), n), 0.3f, &b2);
  omp_set_num_threads(keep);
  EXPECT_EQ(a1, a2);
  EXPECT_EQ(b1, b2);
}

TEST(RowopsRef, GuardsThrow) {
  std::vector<float> a(6), b(8), v(3);
  const Mat<const float> A(a.data(), 2, 3), Bm(b.data(), 2, 4);
  EXPECT_THROW(ref::rowdot<float>(A, Bm, Vec<float>(v.data(), 2)), Error);
  EXPECT_THROW(ref::rowdot<float>(A, A, Vec<float>(v.data(), 3)), Error);
  EXPECT_THROW(ref::l2norm_rows<float>(A, 0.f, Mat<float>(a.data(), 2, 3), Vec<float>(v.data(), 2)), Error);
  EXPECT_THROW(ref::softmax_rows<float>(A, Mat<float>(b.data(), 2, 4)), Error);
  EXPECT_THROW(ref::col_get<float>(A, 3, Vec<float>(v.data(), 2), false), Error);
  EXPECT_THROW(ref::col_get<float>(A, -1, Vec<float>(v.data(), 2), false), Error);
  EXPECT_THROW(ref::col_add<float>(Vec<const float>(v.data(), 3), 0, Mat<float>(a.data(), 2, 3)), Error);
  MatList<const float> none;
  EXPECT_THROW(ref::mean_of<float>(none, Mat<float>(a.data(), 2, 3)), Error);
  MatList<const float> bad;
  bad.m[bad.n++] = A;
  bad.m[bad.n++] = Bm;
  EXPECT_THROW(ref::mean_of<float>(bad, Mat<float>(a.data(), 2, 3)), Error);
  EXPECT_THROW(ref::sum<float>(Vec<const float>(a.data(), 6), 1.f, nullptr), Error);
  EXPECT_THROW(ref::sqnorm_sum_backward<float>(Vec<const float>(a.data(), 6), 1.f, nullptr, Vec<float>(b.data(), 6)), Error);
}

TEST(RowopsRef, WritesOnlyInsideOutputs) {
  const int64_t R = 33, C = 65;
  const auto X = random_vec<float>(R * C, 81);
  Guarded<float> Y(R * C), n(R), s(1);
  ref::l2norm_rows<float>(Mat<const float>(X.data(), R, C), 1e-12f, Y.mat(R, C), n.vec());
  ref::softmax_rows<float>(Mat<const float>(X.data(), R, C), Y.mat(R, C));
  ref::sqnorm_sum<float>(Vec<const float>(X.data(), R * C), 1.f, s.data());
  EXPECT_TRUE(Y.guards_intact() && n.guards_intact() && s.guards_intact());
  for (float v : Y.get()) EXPECT_TRUE(std::isfinite(v));
  for (float v : n.get()) EXPECT_TRUE(std::isfinite(v));
}

// ---- CUDA vs reference ----------------------------------------------------------------------
const std::vector<int64_t> kRows = {1, 31, 33, 1000};
const std::vector<int64_t> kCols = {1, 2, 3, 64, 65};

// One case: inputs (uploaded as is), outputs (forward: poisoned on both sides; accumulating:
// both start from `out0`). run_ref / run_gpu receive raw pointers, inputs first, and build
// the views themselves. Every output is compared and its guards checked.
struct Bufs {
  std::vector<std::vector<float>> in, out0;
  bool accumulate = false;
};
template <class RefFn, class GpuFn>
void compare_case(cuda::Context& ctx, const Bufs& b, RefFn run_ref, GpuFn run_gpu, test::Tol tol, const std::string& what) {
  std::vector<Guarded<float>> hin, hout;
  hin.reserve(b.in.size());
  hout.reserve(b.out0.size());
  for (auto& v : b.in) hin.emplace_back(v);
  for (auto& v : b.out0) {
    hout.emplace_back(static_cast<int64_t>(v.size()));
    if (b.accumulate) hout.back().set(v);
  }
  std::vector<float*> hp;
  for (auto& h : hin) hp.push_back(h.data());
  for (auto& h : hout) hp.push_back(h.data());
  run_ref(hp);

  std::vector<std::unique_ptr<test::DeviceGuarded<float>>> din, dout;
  for (auto& v : b.in) din.push_back(std::make_unique<test::DeviceGuarded<float>>(ctx, v));
  for (auto& v : b.out0) {
    dout.push_back(std::make_unique<test::DeviceGuarded<float>>(ctx, static_cast<int64_t>(v.size())));
    if (b.accumulate) dout.back()->upload(v);
  }
  std::vector<float*> dp;
  for (auto& d : din) dp.push_back(d->data());
  for (auto& d : dout) dp.push_back(d->data());
  run_gpu(dp, ctx.exec());
  ctx.sync();
  for (size_t k = 0; k < dout.size(); ++k) {
    EXPECT_TRUE(hout[k].guards_intact()) << what << ": reference wrote out of bounds, output " << k;
    EXPECT_TRUE(dout[k]->guards_intact()) << what << ": out-of-bounds write, output " << k;
    EXPECT_TRUE(allclose(dout[k]->download(), hout[k].get(), tol, what + " output " + std::to_string(k)));
  }
  ctx.arena().reset();
}

// Runs `make(R, C, seed)` → (Bufs, ref, gpu) over the shape table.
template <class Make>
void over_shapes(const char* op, Make make, test::Tol tol) {
  cuda::Context ctx;
  for (int64_t R : kRows)
    for (int64_t C : kCols) {
      const uint64_t seed = static_cast<uint64_t>(1000 * R + C);
      const std::string name = test::case_name(op, {R, C}, seed);
      SCOPED_TRACE(name);
      make(ctx, R, C, seed, tol, name);
    }
}

using CM = Mat<const float>;
using CVf = Vec<const float>;

TEST(CudaVsRef_rowdot, Shapes) {
  LETHE_REQUIRE_GPU();
  // Row sums: the combination order differs from the CPU's (both accumulate in double).
  over_shapes("rowdot", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    Bufs b{{random_vec<float>(R * C, s), random_vec<float>(R * C, s + 1)}, {std::vector<float>(R)}, false};
    compare_case(ctx, b, [&](auto p) { ref::rowdot<float>(CM(p[0], R, C), CM(p[1], R, C), Vec<float>(p[2], R)); },
                 [&](auto p, auto g) { cuda::rowdot(CM(p[0], R, C), CM(p[1], R, C), Vec<float>(p[2], R), g); }, tol, nm);
  }, test::kTolSum);
  cuda::Context ctx;
  test::DeviceGuarded<float> a(ctx, 6), o(ctx, 3);
  EXPECT_THROW(cuda::rowdot(CM(a.data(), 2, 3), CM(a.data(), 3, 2), o.vec(), ctx.exec()), Error);
  EXPECT_THROW(cuda::rowdot(CM(a.data(), 2, 3), CM(a.data(), 2, 3), o.vec(), ctx.exec()), Error);
}
TEST(CudaVsRef_rowdot_backward, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("rowdot_backward", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    Bufs b{{random_vec<float>(R * C, s), random_vec<float>(R * C, s + 1), random_vec<float>(R, s + 2)},
           {random_vec<float>(R * C, s + 3), random_vec<float>(R * C, s + 4)}, true};
    compare_case(ctx, b,
                 [&](auto p) { ref::rowdot_backward<float>(CM(p[0], R, C), CM(p[1], R, C), CVf(p[2], R), Mat<float>(p[3], R, C), Mat<float>(p[4], R, C)); },
                 [&](auto p, auto g) { cuda::rowdot_backward(CM(p[0], R, C), CM(p[1], R, C), CVf(p[2], R), Mat<float>(p[3], R, C), Mat<float>(p[4], R, C), g); },
                 tol, nm);
    // dX empty: only dY accumulates.
    Bufs b2{{b.in[0], b.in[1], b.in[2]}, {b.out0[1]}, true};
    compare_case(ctx, b2,
                 [&](auto p) { ref::rowdot_backward<float>(CM(p[0], R, C), CM(p[1], R, C), CVf(p[2], R), Mat<float>(), Mat<float>(p[3], R, C)); },
                 [&](auto p, auto g) { cuda::rowdot_backward(CM(p[0], R, C), CM(p[1], R, C), CVf(p[2], R), Mat<float>(), Mat<float>(p[3], R, C), g); },
                 tol, nm + " dX empty");
  }, test::kTolMap);
}
TEST(CudaVsRef_l2norm_rows, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("l2norm_rows", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    auto X = random_vec<float>(R * C, s);
    if (R > 1) std::fill(X.begin() + C, X.begin() + 2 * C, 0.f);  // a zero row: y = 0, norm 0
    Bufs b{{X}, {std::vector<float>(R * C), std::vector<float>(R)}, false};
    compare_case(ctx, b, [&](auto p) { ref::l2norm_rows<float>(CM(p[0], R, C), 1e-12f, Mat<float>(p[1], R, C), Vec<float>(p[2], R)); },
                 [&](auto p, auto g) { cuda::l2norm_rows(CM(p[0], R, C), 1e-12f, Mat<float>(p[1], R, C), Vec<float>(p[2], R), g); },
                 tol, nm);
  }, test::kTolSum);
}
TEST(CudaVsRef_l2norm_rows_backward, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("l2norm_rows_backward", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    // Saved tensors from the float reference; eps = 0.3 puts rows on both branches (norms of
    // random rows range from ~0 to ~sqrt(C/3)).
    const float eps = 0.3f;
    auto X = random_vec<float>(R * C, s);
    for (int64_t r = 0; r < R; r += 3)
      for (int64_t c = 0; c < C; ++c) X[r * C + c] *= 0.05f;
    std::vector<float> Y(R * C), n(R);
    ref::l2norm_rows<float>(CM(X.data(), R, C), eps, Mat<float>(Y.data(), R, C), Vec<float>(n.data(), R));
    Bufs b{{Y, n, random_vec<float>(R * C, s + 1)}, {random_vec<float>(R * C, s + 2)}, true};
    compare_case(ctx, b, [&](auto p) { ref::l2norm_rows_backward<float>(CM(p[0], R, C), CVf(p[1], R), eps, CM(p[2], R, C), Mat<float>(p[3], R, C)); },
                 [&](auto p, auto g) { cuda::l2norm_rows_backward(CM(p[0], R, C), CVf(p[1], R), eps, CM(p[2], R, C), Mat<float>(p[3], R, C), g); },
                 tol, nm);
  }, test::kTolSum);
}
TEST(CudaVsRef_softmax_rows, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("softmax_rows", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    Bufs b{{random_vec<float>(R * C, s, -20, 20)}, {std::vector<float>(R * C)}, false};
    compare_case(ctx, b, [&](auto p) { ref::softmax_rows<float>(CM(p[0], R, C), Mat<float>(p[1], R, C)); },
                 [&](auto p, auto g) { cuda::softmax_rows(CM(p[0], R, C), Mat<float>(p[1], R, C), g); }, tol, nm);
  }, test::kTolSum);
}
TEST(CudaVsRef_softmax_rows_backward, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("softmax_rows_backward", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    auto X = random_vec<float>(R * C, s, -3, 3);
    std::vector<float> Y(R * C);
    ref::softmax_rows<float>(CM(X.data(), R, C), Mat<float>(Y.data(), R, C));
    Bufs b{{Y, random_vec<float>(R * C, s + 1)}, {random_vec<float>(R * C, s + 2)}, true};
    compare_case(ctx, b, [&](auto p) { ref::softmax_rows_backward<float>(CM(p[0], R, C), CM(p[1], R, C), Mat<float>(p[2], R, C)); },
                 [&](auto p, auto g) { cuda::softmax_rows_backward(CM(p[0], R, C), CM(p[1], R, C), Mat<float>(p[2], R, C), g); },
                 tol, nm);
  }, test::kTolSum);
}
TEST(CudaVsRef_mean_of, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("mean_of", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    for (int L : {1, 3, 8}) {
      Bufs b;
      for (int l = 0; l < L; ++l) b.in.push_back(random_vec<float>(R * C, s + l));
      b.out0 = {std::vector<float>(R * C)};
      auto list = [R, C, L](const std::vector<float*>& p) {
        MatList<const float> xs;
        for (int l = 0; l < L; ++l) xs.m[xs.n++] = CM(p[l], R, C);
        return xs;
      };
      compare_case(ctx, b, [&](auto p) { ref::mean_of<float>(list(p), Mat<float>(p[L], R, C)); },
                   [&](auto p, auto g) { cuda::mean_of(list(p), Mat<float>(p[L], R, C), g); }, tol,
                   nm + " L=" + std::to_string(L));
    }
  }, test::kTolMap);
}
TEST(CudaVsRef_mean_of_backward, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("mean_of_backward", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    // Three layers, the middle gradient empty (skipped): outputs are dX0 and dX2.
    Bufs b{{random_vec<float>(R * C, s)}, {random_vec<float>(R * C, s + 1), random_vec<float>(R * C, s + 2)}, true};
    auto list = [R, C](const std::vector<float*>& p) {
      MatList<float> d;
      d.m[0] = Mat<float>(p[1], R, C);
      d.m[2] = Mat<float>(p[2], R, C);
      d.n = 3;
      return d;
    };
    compare_case(ctx, b, [&](auto p) { ref::mean_of_backward<float>(CM(p[0], R, C), list(p)); },
                 [&](auto p, auto g) { cuda::mean_of_backward(CM(p[0], R, C), list(p), g); }, tol, nm);
  }, test::kTolMap);
}
TEST(CudaVsRef_col_get, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("col_get", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    for (bool acc : {false, true})
      for (int64_t m : {int64_t(0), C - 1}) {
        Bufs b{{random_vec<float>(R * C, s)}, {random_vec<float>(R, s + 1)}, acc};
        compare_case(ctx, b, [&](auto p) { ref::col_get<float>(CM(p[0], R, C), m, Vec<float>(p[1], R), acc); },
                     [&](auto p, auto g) { cuda::col_get(CM(p[0], R, C), m, Vec<float>(p[1], R), acc, g); }, tol,
                     nm + " m=" + std::to_string(m) + (acc ? " accumulate" : ""));
      }
  }, test::kTolMap);
  cuda::Context ctx;
  test::DeviceGuarded<float> a(ctx, 6), o(ctx, 2);
  EXPECT_THROW(cuda::col_get(CM(a.data(), 2, 3), 3, o.vec(), false, ctx.exec()), Error);
}
TEST(CudaVsRef_col_add, Shapes) {
  LETHE_REQUIRE_GPU();
  over_shapes("col_add", [](cuda::Context& ctx, int64_t R, int64_t C, uint64_t s, test::Tol tol, const std::string& nm) {
    const int64_t m = C / 2;
    Bufs b{{random_vec<float>(R, s)}, {random_vec<float>(R * C, s + 1)}, true};
    compare_case(ctx, b, [&](auto p) { ref::col_add<float>(CVf(p[0], R), m, Mat<float>(p[1], R, C)); },
                 [&](auto p, auto g) { cuda::col_add(CVf(p[0], R), m, Mat<float>(p[1], R, C), g); }, tol, nm);
  }, test::kTolMap);
}

// Scalar reductions over flat lengths R·C from the shape table (1 … 65000), plus a repeat run
// that must be bit-identical (deterministic_sum has a fixed order).
template <class Ref, class Gpu>
void scalar_reduction(const char* op, Ref rf, Gpu gf) {
  cuda::Context ctx;
  for (int64_t R : kRows)
    for (int64_t C : kCols) {
      const int64_t n = R * C;
      const uint64_t s = static_cast<uint64_t>(7 * n + 1);
      SCOPED_TRACE(test::case_name(op, {n}, s));
      const auto x = random_vec<float>(n, s);
      Guarded<float> h(1);
      rf(Vec<const float>(x.data(), n), h.data());
      test::DeviceGuarded<float> xd(ctx, x), o(ctx, 1);
      gf(Vec<const float>(xd.data(), n), o.data(), ctx.exec());
      const auto first = o.download();
      // Sums over up to 65k terms: the GPU's summation order differs from det_sum's.
      EXPECT_TRUE(allclose(first, h.get(), test::kTolSum, op));
      o.poison();
      gf(Vec<const float>(xd.data(), n), o.data(), ctx.exec());
      EXPECT_EQ(o.download(), first) << op << ": not bit-identical on a second run";
      EXPECT_TRUE(o.guards_intact() && h.guards_intact());
      ctx.arena().reset();
    }
}
TEST(CudaVsRef_sqnorm_sum, Lengths) {
  LETHE_REQUIRE_GPU();
  scalar_reduction("sqnorm_sum", [](CVf x, float* o) { ref::sqnorm_sum<float>(x, 0.37f, o); },
                   [](CVf x, float* o, const GpuExec& g) { cuda::sqnorm_sum(x, 0.37f, o, g); });
}
TEST(CudaVsRef_sum, Lengths) {
  LETHE_REQUIRE_GPU();
  scalar_reduction("sum", [](CVf x, float* o) { ref::sum<float>(x, -1.5f, o); },
                   [](CVf x, float* o, const GpuExec& g) { cuda::sum(x, -1.5f, o, g); });
}
template <class Ref, class Gpu>
void scalar_backward(const char* op, Ref rf, Gpu gf) {
  cuda::Context ctx;
  for (int64_t R : kRows)
    for (int64_t C : kCols) {
      const int64_t n = R * C;
      const uint64_t s = static_cast<uint64_t>(5 * n + 3);
      SCOPED_TRACE(test::case_name(op, {n}, s));
      const float dout = 0.85f;
      Bufs b{{random_vec<float>(n, s), std::vector<float>{dout}}, {random_vec<float>(n, s + 1)}, true};
      compare_case(ctx, b, [&](auto p) { rf(CVf(p[0], n), p[1], Vec<float>(p[2], n)); },
                   [&](auto p, auto g) { gf(CVf(p[0], n), p[1], Vec<float>(p[2], n), g); }, test::kTolMap, op);
    }
}
TEST(CudaVsRef_sqnorm_sum_backward, Lengths) {
  LETHE_REQUIRE_GPU();
  scalar_backward("sqnorm_sum_backward",
                  [](CVf x, const float* d, Vec<float> dx) { ref::sqnorm_sum_backward<float>(x, 0.37f, d, dx); },
                  [](CVf x, const float* d, Vec<float> dx, const GpuExec& g) { cuda::sqnorm_sum_backward(x, 0.37f, d, dx, g); });
}
TEST(CudaVsRef_sum_backward, Lengths) {
  LETHE_REQUIRE_GPU();
  scalar_backward("sum_backward", [](CVf, const float* d, Vec<float> dx) { ref::sum_backward<float>(-1.5f, d, dx); },
                  [](CVf, const float* d, Vec<float> dx, const GpuExec& g) { cuda::sum_backward(-1.5f, d, dx, g); });
}

}  // namespace
}  // namespace lethe
