// io/hash.h — the project's 64-bit content hash ("Lethe hash v1"): dataset fingerprints,
// checkpoint checksums, cache keys. Not cryptographic; it detects accidental change (a flipped
// byte, a truncated file, a different data set) and is fast enough to run over every load
// (one multiply per 8 bytes, several GB/s).
//
// Definition (so that it can be reimplemented elsewhere, e.g. in a Python script):
//   * The input is consumed as 64-bit little-endian words w (8 bytes at a time). A final partial
//     word (1–7 bytes) is zero-padded.
//   * State h starts at seed ^ 0x9E3779B97F4A7C15. Per word:
//         h = rotl64(h ^ (w * K1), 31) * K2 + K3
//     with K1 = 0x87C37B91114253D5, K2 = 0x4CF5AD432745937F, K3 = 0x52DCE729DA3ED7A5.
//     The multiply by K1 spreads every bit of w over the higher bits, the rotate brings the
//     mixed high bits down, the multiply by K2 mixes them into the state.
//   * Final: h ^= total byte count; then the murmur3 fmix64 avalanche
//         h ^= h >> 33; h *= 0xFF51AFD7ED558CCD; h ^= h >> 33; h *= 0xC4CEB9FE1A85EC53; h ^= h >> 33.
//     Counting the length into the result distinguishes inputs that differ only by trailing
//     zero bytes.
// Streaming (Hasher::update in pieces) gives exactly the same value as one call over the
// concatenation. The byte order is fixed (little-endian words), so the value is the same on
// every host; this file assumes a little-endian host (x86-64, AArch64), as the rest of io/ does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace lethe::io {

class Hasher {
 public:
  explicit Hasher(uint64_t seed = 0) : h_(seed ^ 0x9E3779B97F4A7C15ull) {}

  void update(const void* data, size_t n) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    total_ += n;
    if (pending_ > 0) {  // complete a word left over from the previous call
      while (n > 0 && pending_ < 8) { buf_[pending_++] = *p++; --n; }
      if (pending_ < 8) return;
      word(load(buf_));
      pending_ = 0;
    }
    while (n >= 8) { word(load(p)); p += 8; n -= 8; }
    while (n > 0) { buf_[pending_++] = *p++; --n; }
  }
  template <class T>
  void update_pod(const T& v) { update(&v, sizeof(T)); }
  void update_str(const std::string& s) {  // length-prefixed, so "ab"+"c" differs from "a"+"bc"
    update_pod(static_cast<uint64_t>(s.size()));
    update(s.data(), s.size());
  }

  uint64_t digest() const {
    uint64_t h = h_;
    if (pending_ > 0) {
      unsigned char tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::memcpy(tail, buf_, pending_);
      h = step(h, load(tail));
    }
    h ^= static_cast<uint64_t>(total_);
    h ^= h >> 33; h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33; h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
  }

 private:
  static uint64_t load(const unsigned char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  static uint64_t step(uint64_t h, uint64_t w) {
    h ^= w * 0x87C37B91114253D5ull;
    h = (h << 31) | (h >> 33);
    return h * 0x4CF5AD432745937Full + 0x52DCE729DA3ED7A5ull;
  }
  void word(uint64_t w) { h_ = step(h_, w); }

  uint64_t h_;
  uint64_t total_ = 0;
  unsigned char buf_[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t pending_ = 0;
};

inline uint64_t hash64(const void* data, size_t n, uint64_t seed = 0) {
  Hasher h(seed);
  h.update(data, n);
  return h.digest();
}

// 16 lowercase hex digits, the form fingerprints take in files and logs.
inline std::string hex64(uint64_t v) {
  static const char* d = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<size_t>(i)] = d[v & 15];
  return s;
}

}  // namespace lethe::io
