// kernels/gemm_ref.cpp — CPU reference for kernels/gemm.h: a general row-major GEMM and the
// linear layer. It is also the CPU pipeline's production GEMM (MGCN's 4096-wide projections,
// evaluation tiles of 2048×64·64×7050), so the float path is a packed, cache-blocked GEMM in the
// BLIS style rather than a triple loop:
//
//   for jc (NC columns of C)            B panel  KC×NC  packed once, shared      (L3)
//     for pc (KC of the k dimension)    A block  MC×KC  packed per task          (L2)
//       for tasks (ic block × column chunk), OpenMP, dynamic
//         for jr (NR-wide micro-panel of B)          B micro-panel KC×NR          (L1)
//           for ir (MR-high micro-panel of A)
//             6×16 micro-kernel: kc rank-1 updates in registers, then C ← α·acc + β·C
//
// Numerics and determinism. Float accumulates in float, as BLAS does. Every element of C is
// computed by the same sequence of operations whatever the thread count: the k dimension is cut
// into fixed KC blocks processed in order, each block's partial sum runs p = 0..kc-1 in registers
// and is then folded into C (C = α·acc₀ + β·C for the first block, C = α·acc_b + C after), and the
// threads only split C's rows and columns between them. The edge tiles (m or n not a multiple
// of MR/NR) run the same micro-kernel on zero-padded panels into a scratch tile. The micro-kernel
// is a non-template function with an AVX2+FMA clone (kernels/cpu_simd.h); one machine always runs
// the same clone, so results are reproducible there.
//
// The double instantiation (finite-difference tests, tiny sizes) uses a plain row loop with the
// same contract: C[i,:] = α·Σ_p op(A)[i,p]·op(B)[p,:] + β·C[i,:], accumulated in p order.
//
// BLAS conventions kept: β = 0 never reads C (a NaN there does not propagate); α = 0 or k = 0
// only scales C by β and never reads A or B.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernels/cpu_simd.h"
#include "kernels/gemm.h"
#include "kernels/gemm_check.h"
#include "kernels/ref_util.h"

namespace lethe::ref {

namespace {

// C (m×n, ldc) ← β·C; β = 0 writes zeros without reading C.
template <class T>
void scale_c(int64_t m, int64_t n, T beta, T* C, int64_t ldc) {
#pragma omp parallel for schedule(static) if (m * n > kOmpMin)
  for (int64_t i = 0; i < m; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0))
      for (int64_t j = 0; j < n; ++j) c[j] = T(0);
    else if (beta != T(1))
      for (int64_t j = 0; j < n; ++j) c[j] = beta * c[j];
  }
}

// ---- double (and any T) path: row loop --------------------------------------------------------
template <class T>
void gemm_rows(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B,
               int64_t ldb, T beta, T* C, int64_t ldc) {
#pragma omp parallel if (m * n * k > (int64_t(1) << 18))
  {
    std::vector<T> acc(static_cast<size_t>(n));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < m; ++i) {
      std::fill(acc.begin(), acc.end(), T(0));
      for (int64_t p = 0; p < k; ++p) {
        const T a = ta ? A[p * lda + i] : A[i * lda + p];
        if (tb)
          for (int64_t j = 0; j < n; ++j) acc[j] += a * B[j * ldb + p];
        else
          for (int64_t j = 0; j < n; ++j) acc[j] += a * B[p * ldb + j];
      }
      T* c = C + i * ldc;
      if (beta == T(0))
        for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[j];
      else
        for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[j] + beta * c[j];
    }
  }
}

// ---- float path: packed, blocked --------------------------------------------------------------
constexpr int kMR = 6, kNR = 16;                  // register tile: 12 ymm accumulators
constexpr int64_t kKC = 256, kMC = 96, kNC = 2048;  // L1 (16 KB B micro-panel), L2 (96 KB), L3 (2 MB)
static_assert(kMC % kMR == 0 && kNC % kNR == 0, "block sizes must be multiples of the register tile");

// A 64-byte-aligned float buffer that only grows, kept per calling thread (thread_local) so that
// repeated calls do not pay for allocation and page faults.
class PackBuf {
 public:
  ~PackBuf() { std::free(p_); }
  float* get(size_t n) {
    if (n > cap_) {
      std::free(p_);
      const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p_) LETHE_FAIL("gemm: out of memory packing " + std::to_string(bytes) + " bytes");
      cap_ = n;
    }
    return p_;
  }

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};
PackBuf& tls_a() { static thread_local PackBuf b; return b; }
PackBuf& tls_b() { static thread_local PackBuf b; return b; }

typedef float v8sf __attribute__((vector_size(32)));
// Unaligned 8-float loads/stores go through memcpy (compiled to vmovups); no function takes or
// returns a v8sf by value, which would change the ABI between the clones.

// The micro-kernel: acc (6×16) = Σ_{p<kc} a[p,0:6]ᵀ · b[p,0:16] with a, b packed micro-panels
// (a: kc×6, b: kc×16, contiguous), then C[0:6,0:16] = α·acc (β = 0, C not read) or
// α·acc + β·C. Non-template so that GCC can emit its AVX2+FMA clone.
LETHE_SIMD_CLONES
void sgemm_kernel_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha, float beta) {
  v8sf c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {};
  v8sf c30 = {}, c31 = {}, c40 = {}, c41 = {}, c50 = {}, c51 = {};
  for (int64_t p = 0; p < kc; ++p) {
    v8sf b0, b1;
    std::memcpy(&b0, b, sizeof b0);
    std::memcpy(&b1, b + 8, sizeof b1);
    // a[i] * b0 broadcasts the scalar (GCC vector extension).
    c00 += a[0] * b0; c01 += a[0] * b1;
    c10 += a[1] * b0; c11 += a[1] * b1;
    c20 += a[2] * b0; c21 += a[2] * b1;
    c30 += a[3] * b0; c31 += a[3] * b1;
    c40 += a[4] * b0; c41 += a[4] * b1;
    c50 += a[5] * b0; c51 += a[5] * b1;
    a += kMR;
    b += kNR;
  }
  const v8sf acc[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int i = 0; i < kMR; ++i)
    for (int h = 0; h < 2; ++h) {
      float* cij = c + i * ldc + 8 * h;
      v8sf v = alpha * acc[i][h];
      if (beta != 0.f) {
        v8sf old;
        std::memcpy(&old, cij, sizeof old);
        v += beta * old;
      }
      std::memcpy(cij, &v, sizeof v);
    }
}

// Packs rows [i0, i0+mc) × k-range [p0, p0+kc) of op(A) into MR-row micro-panels: panel r holds
// kc groups of MR values (rows past m are zero).
void pack_a(bool ta, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += kMR, dst += kMR * kc) {
    const int64_t mr = std::min<int64_t>(kMR, mc - ir);  // mc ≤ m - i0
    if (ta) {  // A stored k×m: op(A)[i,p] = A[p*lda + i], contiguous in i
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = A + (p0 + p) * lda + i0 + ir;
        float* d = dst + p * kMR;
        int64_t r = 0;
        for (; r < mr; ++r) d[r] = src[r];
        for (; r < kMR; ++r) d[r] = 0.f;
      }
    } else {  // A stored m×k: op(A)[i,p] = A[i*lda + p], contiguous in p
      int64_t r = 0;
      for (; r < mr; ++r) {
        const float* src = A + (i0 + ir + r) * lda + p0;
        for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = src[p];
      }
      for (; r < kMR; ++r)
        for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = 0.f;
    }
  }
}

// Packs the NR-column micro-panel starting at column j0 of op(B), k-range [p0, p0+kc): kc groups
// of NR values (columns past n are zero).
void pack_b_panel(bool tb, const float* B, int64_t ldb, int64_t n, int64_t j0, int64_t p0, int64_t kc, float* dst) {
  const int64_t nr = std::min<int64_t>(kNR, n - j0);
  if (tb) {  // B stored n×k: op(B)[p,j] = B[j*ldb + p]
    int64_t c = 0;
    for (; c < nr; ++c) {
      const float* src = B + (j0 + c) * ldb + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * kNR + c] = src[p];
    }
    for (; c < kNR; ++c)
      for (int64_t p = 0; p < kc; ++p) dst[p * kNR + c] = 0.f;
  } else {  // B stored k×n: op(B)[p,j] = B[p*ldb + j], contiguous in j
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = B + (p0 + p) * ldb + j0;
      float* d = dst + p * kNR;
      int64_t c = 0;
      for (; c < nr; ++c) d[c] = src[c];
      for (; c < kNR; ++c) d[c] = 0.f;
    }
  }
}

void sgemm_blocked(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda,
                   const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const int nt = flops < 4e6 ? 1 : std::max(1, omp_get_max_threads());
  const int64_t kc_max = std::min(k, kKC);
  const int64_t nc_max = std::min(n, kNC);
  const int64_t mc_max = std::min((m + kMR - 1) / kMR * kMR, kMC);
  // All packing memory is taken here, outside the parallel region (an allocation failure must
  // throw on the calling thread): one shared B panel, one A block per thread.
  float* bpack = tls_b().get(static_cast<size_t>(kc_max * ((nc_max + kNR - 1) / kNR) * kNR));
  const int64_t astride = (mc_max * kc_max + 15) / 16 * 16;  // keeps every block 64-byte aligned
  float* apack_all = tls_a().get(static_cast<size_t>(astride * nt));

#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    float* apack = apack_all + astride * omp_get_thread_num();
    alignas(32) float tile[kMR * kNR];
    for (int64_t jc = 0; jc < n; jc += kNC) {
      const int64_t nc = std::min(kNC, n - jc);
      const int64_t npanels = (nc + kNR - 1) / kNR;
      const int64_t nmc = (m + kMC - 1) / kMC;
      // Split the panels into chunks when there are too few row blocks to keep every thread
      // busy. This changes only which thread computes a tile, never how.
      const int64_t nchunks = std::min<int64_t>(npanels, std::max<int64_t>(1, (8 * nt + nmc - 1) / nmc));
      const int64_t chunk = (npanels + nchunks - 1) / nchunks;
      const int64_t ntasks = nmc * ((npanels + chunk - 1) / chunk);
      for (int64_t pc = 0; pc < k; pc += kKC) {
        const int64_t kc = std::min(kKC, k - pc);
        const float beff = pc == 0 ? beta : 1.f;  // later k blocks add into C
#pragma omp for schedule(static)
        for (int64_t jp = 0; jp < npanels; ++jp)
          pack_b_panel(tb, B, ldb, n, jc + jp * kNR, pc, kc, bpack + jp * kNR * kc);
        // (implicit barrier: B is packed)
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; ++t) {
          const int64_t ib = t % nmc, cb = t / nmc;
          const int64_t ic = ib * kMC, mc = std::min(kMC, m - ic);
          const int64_t jp0 = cb * chunk, jp1 = std::min(npanels, jp0 + chunk);
          pack_a(ta, A, lda, ic, mc, pc, kc, apack);
          for (int64_t jp = jp0; jp < jp1; ++jp) {
            const int64_t j0 = jc + jp * kNR, nr = std::min<int64_t>(kNR, n - j0);
            const float* bp = bpack + jp * kNR * kc;
            for (int64_t ir = 0; ir < mc; ir += kMR) {
              const int64_t mr = std::min<int64_t>(kMR, mc - ir);
              const float* ap = apack + ir * kc;
              float* cp = C + (ic + ir) * ldc + j0;
              if (mr == kMR && nr == kNR) {
                sgemm_kernel_6x16(kc, ap, bp, cp, ldc, alpha, beff);
              } else {
                sgemm_kernel_6x16(kc, ap, bp, tile, kNR, 1.f, 0.f);
                for (int64_t i = 0; i < mr; ++i)
                  for (int64_t j = 0; j < nr; ++j) {
                    float& cij = cp[i * ldc + j];
                    cij = beff == 0.f ? alpha * tile[i * kNR + j] : alpha * tile[i * kNR + j] + beff * cij;
                  }
              }
            }
          }
        }
        // (implicit barrier: bpack may be overwritten by the next k block)
      }
    }
  }
}

}  // namespace

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
  detail::check_gemm_args(trans_a, trans_b, m, n, k, A, lda, B, ldb, C, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) {
    scale_c(m, n, beta, C, ldc);
    return;
  }
  if constexpr (std::is_same_v<T, float>)
    sgemm_blocked(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    gemm_rows(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
void linear_forward(Mat<const T> X, Mat<const T> W, Vec<const T> b, Mat<T> Y) {
  detail::check_linear_forward(X, W, b, Y);
  const bool bias = !b.empty();
  if (Y.size() == 0) return;
  // Y = b (broadcast over rows), then Y = X·W + 1·Y: the bias is the GEMM's β term.
  if (bias) {
#pragma omp parallel for schedule(static) if (Y.size() > kOmpMin)
    for (int64_t r = 0; r < Y.rows; ++r) std::copy(b.data, b.data + b.n, Y.row(r));
  }
  gemm<T>(false, false, X.rows, W.cols, X.cols, T(1), X.data, X.cols, W.data, W.cols, bias ? T(1) : T(0), Y.data,
          Y.cols);
}

template <class T>
void linear_backward(Mat<const T> X, Mat<const T> W, Mat<const T> dY, Mat<T> dX, Mat<T> dW, Vec<T> db) {
  detail::check_linear_backward(X, W, dY, dX, dW, db);
  const int64_t N = X.rows, in = X.cols, out = W.cols;
  // dX (N×in) += dY (N×out) · Wᵀ (out×in)
  if (!dX.empty()) gemm<T>(false, true, N, in, out, T(1), dY.data, out, W.data, out, T(1), dX.data, in);
  // dW (in×out) += Xᵀ (in×N) · dY (N×out)
  if (!dW.empty()) gemm<T>(true, false, in, out, N, T(1), X.data, in, dY.data, out, T(1), dW.data, out);
  // db[c] += Σ_r dY[r,c]: rows in increasing order, double accumulator; column blocks are
  // independent, so the result does not depend on the thread count.
  if (!db.empty() && N > 0) {
    constexpr int64_t kCb = 256;
    const int64_t nblk = (out + kCb - 1) / kCb;
#pragma omp parallel for schedule(static) if (nblk > 1 && N * out > kOmpMin)
    for (int64_t blk = 0; blk < nblk; ++blk) {
      const int64_t c0 = blk * kCb, c1 = std::min(out, c0 + kCb);
      double acc[kCb] = {};
      for (int64_t r = 0; r < N; ++r) {
        const T* row = dY.row(r);
        for (int64_t c = c0; c < c1; ++c) acc[c - c0] += static_cast<double>(row[c]);
      }
      for (int64_t c = c0; c < c1; ++c) db[c] += static_cast<T>(acc[c - c0]);
    }
  }
}

#define LETHE_INSTANTIATE(T)                                                                                  \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*, \
                        int64_t);                                                                             \
  template void linear_forward<T>(Mat<const T>, Mat<const T>, Vec<const T>, Mat<T>);                         \
  template void linear_backward<T>(Mat<const T>, Mat<const T>, Mat<const T>, Mat<T>, Mat<T>, Vec<T>);
LETHE_INSTANTIATE(float)
LETHE_INSTANTIATE(double)

}  // namespace lethe::ref
