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
// AVX-512. On a CPU with AVX-512 (x86-64-v4, checked once at run time) the float GEMM runs a
// 6×64 micro-kernel on 512-bit registers instead (24 accumulators, the whole of MGCN's d = 64 in
// one panel), reading A in place through its row and k strides rather than packing it (for the
// narrow products that dominate the pipeline — 7050×4096 · 4096×64 — packing A cost as much as a
// third of the time). It performs, for every element of C, exactly the operations of the 6×16
// path: the same KC blocks in the same order, acc = fma(a, b, acc) for p = 0..kc-1 from zero, and
// the same epilogue per 16-column chunk (α·acc, or fma(acc, α, β·C) written with intrinsics; a
// partial chunk or a partial row block through the same scalar code), so both paths give
// bit-identical results and a machine's answer does not depend on which one it has. Tests compare
// the two paths bit for bit (kernels/gemm_cpu.h selects one).
//
// The double instantiation (finite-difference tests, tiny sizes) uses a plain row loop with the
// same contract: C[i,:] = α·Σ_p op(A)[i,p]·op(B)[p,:] + β·C[i,:], accumulated in p order.
//
// BLAS conventions kept: β = 0 never reads C (a NaN there does not propagate); α = 0 or k = 0
// only scales C by β and never reads A or B.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "kernels/cpu_simd.h"
#include "kernels/gemm.h"
#include "kernels/gemm_check.h"
#include "kernels/gemm_cpu.h"
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
  if (ta) {  // A stored k×m: op(A)[i,p] = A[p*lda + i], contiguous in i. One pass over each row
             // p of A for the whole block (a row of wide A is a page: touch each once).
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = A + (p0 + p) * lda + i0;
      int64_t ir = 0;
      for (; ir + kMR <= mc; ir += kMR) std::memcpy(dst + ir * kc + p * kMR, src + ir, kMR * sizeof(float));
      if (ir < mc) {  // a partial micro-panel, zero-padded
        float* d = dst + ir * kc + p * kMR;
        int64_t r = 0;
        for (; r < mc - ir; ++r) d[r] = src[ir + r];
        for (; r < kMR; ++r) d[r] = 0.f;
      }
    }
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += kMR, dst += kMR * kc) {  // A stored m×k, contiguous in p
    const int64_t mr = std::min<int64_t>(kMR, mc - ir);
    int64_t r = 0;
    for (; r < mr; ++r) {
      const float* src = A + (i0 + ir + r) * lda + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = src[p];
    }
    for (; r < kMR; ++r)
      for (int64_t p = 0; p < kc; ++p) dst[p * kMR + r] = 0.f;
  }
}

// Packs the NR-column micro-panel starting at column j0 of op(B), k-range [p0, p0+kc): kc groups
// of NR values (columns past n are zero).
template <int NR>
void pack_b_panel(bool tb, const float* B, int64_t ldb, int64_t n, int64_t j0, int64_t p0, int64_t kc, float* dst) {
  const int64_t nr = std::min<int64_t>(NR, n - j0);
  if (tb) {  // B stored n×k: op(B)[p,j] = B[j*ldb + p]
    int64_t c = 0;
    for (; c < nr; ++c) {
      const float* src = B + (j0 + c) * ldb + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = src[p];
    }
    for (; c < NR; ++c)
      for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = 0.f;
  } else {  // B stored k×n: op(B)[p,j] = B[p*ldb + j], contiguous in j
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = B + (p0 + p) * ldb + j0;
      float* d = dst + p * NR;
      int64_t c = 0;
      for (; c < nr; ++c) d[c] = src[c];
      for (; c < NR; ++c) d[c] = 0.f;
    }
  }
}

// C[0:mr, 0:nr] from the accumulators in tile (row stride ld): α·acc, or α·acc + β·C. Compiled for
// the baseline ISA (no FMA contraction), shared by both paths for their partial tiles.
__attribute__((noinline)) void store_edge(const float* tile, int64_t ld, float* cp, int64_t ldc, int64_t mr,
                                          int64_t nr, float alpha, float beff) {
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      float& cij = cp[i * ldc + j];
      cij = beff == 0.f ? alpha * tile[i * ld + j] : alpha * tile[i * ld + j] + beff * cij;
    }
}

#if LETHE_HAVE_AVX512_PATH
// ---- AVX-512 path: 6×64 micro-kernel, A read in place ------------------------------------------
constexpr int kNR512 = 64;
static_assert(kNC % kNR512 == 0, "NC must be a multiple of the AVX-512 panel width");

// The 6×16 kernel's epilogue on one 16-column chunk: C = α·acc, or fma(acc, α, β·C).
LETHE_TARGET_AVX512 inline __m512 epilogue_512(__m512 acc, const float* c, __m512 va, __m512 vb, bool beta_zero) {
  return beta_zero ? _mm512_mul_ps(acc, va) : _mm512_fmadd_ps(acc, va, _mm512_mul_ps(_mm512_loadu_ps(c), vb));
}

// Σ_{p<kc} a(r, p) · b[p, 0:64] for rows r < R, a(r, p) = a[r·rs + p·ps], b packed. kDirect (a
// whole 6×64 tile): C[0:6, 0:64] is written through the epilogue from the registers. Otherwise the
// raw sums go to acc (R×64, row stride 64) for the caller's partial store.
template <int R, bool kDirect>
LETHE_TARGET_AVX512 void sgemm_kernel_512(int64_t kc, const float* a, int64_t rs, int64_t ps, const float* b,
                                          float* out, int64_t ldc, float alpha, float beta) {
  __m512 c[R][4];
  for (int r = 0; r < R; ++r)
    for (int h = 0; h < 4; ++h) c[r][h] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, b += kNR512) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16), b2 = _mm512_load_ps(b + 32),
                 b3 = _mm512_load_ps(b + 48);
    const float* ap = a + p * ps;
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(ap[r * rs]);
      c[r][0] = _mm512_fmadd_ps(ar, b0, c[r][0]);
      c[r][1] = _mm512_fmadd_ps(ar, b1, c[r][1]);
      c[r][2] = _mm512_fmadd_ps(ar, b2, c[r][2]);
      c[r][3] = _mm512_fmadd_ps(ar, b3, c[r][3]);
    }
  }
  if constexpr (kDirect) {
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    const bool bz = beta == 0.f;
    for (int r = 0; r < R; ++r)
      for (int h = 0; h < 4; ++h) {
        float* cp = out + r * ldc + 16 * h;
        _mm512_storeu_ps(cp, epilogue_512(c[r][h], cp, va, vb, bz));
      }
  } else {
    for (int r = 0; r < R; ++r)
      for (int h = 0; h < 4; ++h) _mm512_storeu_ps(out + r * kNR512 + 16 * h, c[r][h]);
  }
}

// C[0:6, 0:16] from 16 accumulator columns (row stride 64), as the 6×16 kernel stores a tile.
LETHE_TARGET_AVX512 void store_chunk_512(const float* acc, float* cp, int64_t ldc, float alpha, float beff) {
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beff);
  for (int i = 0; i < 6; ++i) {
    float* c = cp + i * ldc;
    _mm512_storeu_ps(c, epilogue_512(_mm512_loadu_ps(acc + i * kNR512), c, va, vb, beff == 0.f));
  }
}

// One micro-tile of mr ≤ 6 rows and nr ≤ 64 columns at cp: a whole tile straight from the
// registers; otherwise per 16-column chunk as the 6×16 path stores it (whole chunks of whole row
// blocks through the vector epilogue, everything else through store_edge).
void tile_512(int64_t mr, int64_t nr, int64_t kc, const float* a, int64_t rs, int64_t ps, const float* b, float* cp,
              int64_t ldc, float alpha, float beff, float* tile) {
  if (mr == 6 && nr == kNR512) {
    sgemm_kernel_512<6, true>(kc, a, rs, ps, b, cp, ldc, alpha, beff);
    return;
  }
  switch (mr) {
    case 6: sgemm_kernel_512<6, false>(kc, a, rs, ps, b, tile, 0, 1.f, 0.f); break;
    case 5: sgemm_kernel_512<5, false>(kc, a, rs, ps, b, tile, 0, 1.f, 0.f); break;
    case 4: sgemm_kernel_512<4, false>(kc, a, rs, ps, b, tile, 0, 1.f, 0.f); break;
    case 3: sgemm_kernel_512<3, false>(kc, a, rs, ps, b, tile, 0, 1.f, 0.f); break;
    case 2: sgemm_kernel_512<2, false>(kc, a, rs, ps, b, tile, 0, 1.f, 0.f); break;
    default: sgemm_kernel_512<1, false>(kc, a, rs, ps, b, tile, 0, 1.f, 0.f); break;
  }
  for (int64_t h = 0; h < nr; h += 16) {
    const int64_t w = std::min<int64_t>(16, nr - h);
    if (mr == 6 && w == 16) store_chunk_512(tile + h, cp + h, ldc, alpha, beff);
    else store_edge(tile + h, kNR512, cp + h, ldc, mr, w, alpha, beff);
  }
}

// One column of C (n = 1: MGCN's attention score w₂ᵀ·tanh(·) and its weight gradient). The 6×64
// kernel would spend 63 of its 64 lanes on zero padding; here 16 rows share a register instead,
// each lane running its own row's operations exactly as the blocked path does for that element:
// per KC block acc = fma(a(i,p), b(p), acc) for p in order from zero, then the partial-tile store
// (store_edge: α·acc, or α·acc + β·C). a(i, p) = A[i·rs + p·ps] (ps = 1: rows of A gathered;
// rs = 1: a contiguous load), b(p) = B[p·bs].
LETHE_TARGET_AVX512 void sgemv_512(int64_t m, int64_t k, float alpha, const float* A, int64_t rs, int64_t ps,
                                    const float* B, int64_t bs, float beta, float* C, int64_t ldc) {
  const int64_t nblk = (m + 15) / 16;
  const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i offs = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(static_cast<int32_t>(rs)));
#pragma omp parallel for schedule(static) if (double(m) * double(k) > 4e6)
  for (int64_t blk = 0; blk < nblk; ++blk) {
    const int64_t i0 = blk * 16, mr = std::min<int64_t>(16, m - i0);
    const __mmask16 msk = static_cast<__mmask16>(mr == 16 ? 0xFFFFu : (1u << mr) - 1u);
    alignas(64) float acc[16];
    for (int64_t pc = 0; pc < k; pc += kKC) {
      const int64_t kc = std::min(kKC, k - pc);
      __m512 a0 = _mm512_setzero_ps();
      const float* ap = A + i0 * rs + pc * ps;
      for (int64_t p = 0; p < kc; ++p, ap += ps) {
        const __m512 av = rs == 1 ? _mm512_maskz_loadu_ps(msk, ap)
                                  : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), msk, offs, ap, 4);
        a0 = _mm512_fmadd_ps(av, _mm512_set1_ps(B[(pc + p) * bs]), a0);
      }
      _mm512_store_ps(acc, a0);
      store_edge(acc, 1, C + i0 * ldc, ldc, mr, 1, alpha, pc == 0 ? beta : 1.f);
    }
  }
}
#endif  // LETHE_HAVE_AVX512_PATH

// The blocked driver of both paths: kNR = 16 (AVX2/baseline kernel, A packed) or 64 (AVX-512
// kernel, A in place). The task split, the KC blocks and every element's operations are the same.
template <int NR>
void sgemm_blocked(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda,
                   const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // The 6×16 path always packs A; the AVX-512 path reads A in place unless it is transposed and
  // wide (a micro-tile of op(A) then spans kc rows of A, one page each for wide A such as
  // InfoNCE's 2048-wide P: packing walks them once per block instead of once per micro-tile).
  // A transposed A with rows of at most 512 floats (the weight gradients' Xᵀ·dY, X of width 64
  // or 128) is read in place: the kc rows a block's tiles share stay in cache, and the transposing
  // copy cost more than it saved.
  const bool pack = NR == kNR || (ta && lda > 512);
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const int nt = flops < 4e6 ? 1 : std::max(1, omp_get_max_threads());
  const int64_t kc_max = std::min(k, kKC);
  const int64_t nc_max = std::min(n, kNC);
  const int64_t mc_max = std::min((m + kMR - 1) / kMR * kMR, kMC);
  // All packing memory is taken here, outside the parallel region (an allocation failure must
  // throw on the calling thread): one shared B panel, one A block (or accumulator tile) per thread.
  float* bpack = tls_b().get(static_cast<size_t>(kc_max * ((nc_max + NR - 1) / NR) * NR));
  const int64_t astride = pack ? (mc_max * kc_max + 15) / 16 * 16 : 0;  // keeps every block 64-byte aligned
  float* apack_all = pack ? tls_a().get(static_cast<size_t>(astride * nt)) : nullptr;
  // Strides of op(A) in place: element (i, p) at A[i·rs + p·ps].
  const int64_t rs = ta ? 1 : lda, ps = ta ? lda : 1;

#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    float* apack = pack ? apack_all + astride * omp_get_thread_num() : nullptr;
    alignas(64) float tile[kMR * NR];
    for (int64_t jc = 0; jc < n; jc += kNC) {
      const int64_t nc = std::min(kNC, n - jc);
      const int64_t npanels = (nc + NR - 1) / NR;
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
          pack_b_panel<NR>(tb, B, ldb, n, jc + jp * NR, pc, kc, bpack + jp * NR * kc);
        // (implicit barrier: B is packed)
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntasks; ++t) {
          const int64_t ib = t % nmc, cb = t / nmc;
          const int64_t ic = ib * kMC, mc = std::min(kMC, m - ic);
          const int64_t jp0 = cb * chunk, jp1 = std::min(npanels, jp0 + chunk);
          if (pack) pack_a(ta, A, lda, ic, mc, pc, kc, apack);
          for (int64_t jp = jp0; jp < jp1; ++jp) {
            const int64_t j0 = jc + jp * NR, nr = std::min<int64_t>(NR, n - j0);
            const float* bp = bpack + jp * NR * kc;
            for (int64_t ir = 0; ir < mc; ir += kMR) {
              const int64_t mr = std::min<int64_t>(kMR, mc - ir);
              float* cp = C + (ic + ir) * ldc + j0;
              if constexpr (NR == kNR) {
                const float* ap = apack + ir * kc;
                if (mr == kMR && nr == kNR) {
                  sgemm_kernel_6x16(kc, ap, bp, cp, ldc, alpha, beff);
                } else {
                  sgemm_kernel_6x16(kc, ap, bp, tile, kNR, 1.f, 0.f);
                  store_edge(tile, kNR, cp, ldc, mr, nr, alpha, beff);
                }
              } else {
#if LETHE_HAVE_AVX512_PATH
                if (pack) tile_512(mr, nr, kc, apack + ir * kc, 1, kMR, bp, cp, ldc, alpha, beff, tile);
                else tile_512(mr, nr, kc, A + (ic + ir) * rs + pc * ps, rs, ps, bp, cp, ldc, alpha, beff, tile);
#endif
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

void sgemm(SgemmPath path, bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (path == SgemmPath::Auto)
    path = cpu::avx512_available() ? SgemmPath::Avx512 : SgemmPath::Packed6x16;
#if LETHE_HAVE_AVX512_PATH
  if (path == SgemmPath::Avx512) {
    LETHE_CHECK(cpu::avx512_available(), "gemm: the AVX-512 path was asked for on a CPU without AVX-512");
    // A single column of C through the row-vector kernel (lane offsets are 32-bit: 15·lda must fit).
    if (n == 1 && (ta || 15 * lda < (int64_t(1) << 31))) {
      sgemv_512(m, k, alpha, A, ta ? 1 : lda, ta ? lda : 1, B, tb ? 1 : ldb, beta, C, ldc);
      return;
    }
    sgemm_blocked<kNR512>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#else
  LETHE_CHECK(path != SgemmPath::Avx512, "gemm: this build has no AVX-512 path");
#endif
  sgemm_blocked<kNR>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

bool sgemm_adam(int64_t m, int64_t n, int64_t k, const float* A, int64_t lda, const float* B, int64_t ldb, float* P,
                float* M, float* V, const AdamF32& f) {
  // The product's rows MR at a time (sgemm_nt_rows: op(B) packed once, one strip per thread),
  // each strip applied by Adam while it is still in cache and never stored.
  return sgemm_nt_rows(m, n, k, 1.f, A, lda, B, ldb, kMR, [&](int64_t i0, int64_t mr, float* g) {
    adam_f32_range(P + i0 * n, g, M + i0 * n, V + i0 * n, 0, mr * n, 1.0f, f);
  });
}

bool sgemm_nt_rows(int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda, const float* B,
                   int64_t ldb, int64_t rows, const std::function<void(int64_t, int64_t, float*)>& visit) {
#if LETHE_HAVE_AVX512_PATH
  if (!cpu::avx512_available() || k <= 0 || k > kKC || m <= 0 || n <= 0 || rows <= 0) return false;
  LETHE_CHECK(lda >= k && ldb >= k, "sgemm_nt_rows: leading dimensions below k");
  const int64_t npanels = (n + kNR512 - 1) / kNR512;
  const int nt = std::max(1, omp_get_max_threads());
  // op(B) = Bᵀ packed once for all row blocks, as sgemm_blocked packs its panels (one k block);
  // one rows × n block buffer per thread, allocated here on the calling thread.
  float* bpack = tls_b().get(static_cast<size_t>(npanels * kNR512 * k));
  const int64_t bstride = (rows * n + 15) / 16 * 16;
  float* buf_all = tls_a().get(static_cast<size_t>(bstride * nt));
  const int64_t nblocks = (m + rows - 1) / rows;
#pragma omp parallel num_threads(nt) if (nt > 1 && double(m) * double(n) * double(k) > 4e6)
  {
    float* buf = buf_all + bstride * omp_get_thread_num();
    alignas(64) float tile[kMR * kNR512];
#pragma omp for schedule(static)
    for (int64_t jp = 0; jp < npanels; ++jp) pack_b_panel<kNR512>(true, B, ldb, n, jp * kNR512, 0, k, bpack + jp * kNR512 * k);
#pragma omp for schedule(dynamic, 1)
    for (int64_t ib = 0; ib < nblocks; ++ib) {
      const int64_t i0 = ib * rows, nr = std::min(rows, m - i0);
      for (int64_t jp = 0; jp < npanels; ++jp) {
        const int64_t j0 = jp * kNR512, nc = std::min<int64_t>(kNR512, n - j0);
        for (int64_t ir = 0; ir < nr; ir += kMR)
          tile_512(std::min<int64_t>(kMR, nr - ir), nc, k, A + (i0 + ir) * lda, lda, 1, bpack + jp * kNR512 * k,
                   buf + ir * n + j0, n, alpha, 0.f, tile);
      }
      visit(i0, nr, buf);
    }
  }
  return true;
#else
  (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb, (void)rows, (void)visit;
  return false;
#endif
}

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
    sgemm(SgemmPath::Auto, trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
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
