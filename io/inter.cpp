// io/inter.cpp — the .inter reader and writer (docs/MODELS.md, "Data").
// Speed: the file is read in one go and parsed in place with hand-rolled integer parsing (no
// stream call per field): ../shared/data/amazon-sports (296k rows, 3.8 MB) parses in ~10 ms.
// Validation: every problem is a lethe::Error "FILE:LINE: what was found, what was expected".
// Duplicate (user, item) rows anywhere in the file (whichever split): the first occurrence is
// kept, later ones are dropped, counted and reported once on stderr; with
// LoadOptions::reject_duplicates the first duplicate is an error naming both lines.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/dataset.h"
#include "io/fs.h"
#include "kernels/common.h"

namespace lethe::io {
namespace {

[[noreturn]] void fail_line(const std::string& path, int64_t line, const std::string& what) {
  throw Error(path + ":" + std::to_string(line) + ": " + what);
}

// The offending text, quoted, control characters made visible, long text shortened.
std::string quoted(const char* b, const char* e) {
  std::string s = "'";
  const size_t n = static_cast<size_t>(e - b);
  const size_t shown = std::min<size_t>(n, 80);
  for (size_t k = 0; k < shown; ++k) {
    const unsigned char c = static_cast<unsigned char>(b[k]);
    if (c == '\t') s += "\\t";
    else if (c == '\r') s += "\\r";
    else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    } else s += static_cast<char>(c);
  }
  if (shown < n) s += "...";
  return s + "'";
}

bool all_digits(const char* b, const char* e) {
  if (b == e) return false;
  for (const char* p = b; p < e; ++p)
    if (*p < '0' || *p > '9') return false;
  return true;
}

// userID / itemID: a non-negative integer below kMaxId.
int32_t parse_id(const char* b, const char* e, const char* col, const std::string& path, int64_t line) {
  if (b == e) fail_line(path, line, std::string("empty ") + col + " field (expected a non-negative integer ID)");
  if (*b == '-' && all_digits(b + 1, e))
    fail_line(path, line, std::string("negative ") + col + " " + quoted(b, e) + " (IDs are 0-based non-negative integers)");
  if (!all_digits(b, e))
    fail_line(path, line, std::string(col) + " is not an integer: " + quoted(b, e) + " (expected a non-negative integer ID)");
  int64_t v = 0;
  for (const char* p = b; p < e; ++p) {
    v = v * 10 + (*p - '0');
    if (v >= kMaxId)
      fail_line(path, line, std::string(col) + " " + quoted(b, e) + " is too large (IDs must be below " +
                                std::to_string(kMaxId) + "; remap raw IDs to 0..n-1)");
  }
  return static_cast<int32_t>(v);
}

int parse_label(const char* b, const char* e, const std::string& path, int64_t line) {
  if (b == e) fail_line(path, line, "empty x_label field (expected 0 (train), 1 (valid) or 2 (test))");
  const bool neg = *b == '-' && all_digits(b + 1, e);
  if (!neg && !all_digits(b, e))
    fail_line(path, line, "x_label is not an integer: " + quoted(b, e) + " (expected 0 (train), 1 (valid) or 2 (test))");
  // Leading zeros ("00") are accepted as the integer they spell, as any integer parser would.
  int v = 0;
  for (const char* p = b; p < e && !neg; ++p) {
    v = v * 10 + (*p - '0');
    if (v > 2) break;
  }
  if (neg || v > 2)
    fail_line(path, line, "x_label " + quoted(b, e) + " is out of range (expected 0 (train), 1 (valid) or 2 (test))");
  return v;
}

// IDs must be dense (docs/MODELS.md, "Data": U = max userID + 1, and every ID is an array index): at most
// max(1024, distinct) of the IDs 0..max may be unused. This rejects un-remapped raw IDs with a
// clear message, and bounds every O(U) allocation by the size of the input. When max + 1
// exceeds 2·rows + 1024 the rule is broken whatever the rows hold, so nothing of size max is
// allocated to find out.
void check_dense(const std::vector<int32_t>& ids, int32_t max_id, const char* col, const char* what,
                 const std::string& path) {
  const int64_t range = static_cast<int64_t>(max_id) + 1, rows = static_cast<int64_t>(ids.size());
  int64_t distinct = 0;
  if (range > 2 * rows + 1024) {
    std::vector<int32_t> s(ids);
    std::sort(s.begin(), s.end());
    distinct = std::unique(s.begin(), s.end()) - s.begin();
  } else {
    std::vector<uint8_t> seen(static_cast<size_t>(range), 0);
    for (int32_t v : ids) {
      distinct += seen[static_cast<size_t>(v)] == 0;
      seen[static_cast<size_t>(v)] = 1;
    }
  }
  if (range - distinct > std::max<int64_t>(1024, distinct))
    throw Error(path + ": " + col + "s are not dense: the largest is " + std::to_string(max_id) + ", so there would be " +
                std::to_string(range) + " " + what + ", but only " + std::to_string(distinct) + " distinct " + col +
                "s occur (IDs must be 0..n-1 with few gaps; remap raw IDs to dense ones)");
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ')) ++b;
  while (e > b && (s[e - 1] == ' ')) --e;
  return s.substr(b, e - b);
}

}  // namespace

Dataset parse_inter(const std::string& text, const std::string& path, const LoadOptions& opt) {
  const char* p = text.data();
  const char* const end = p + text.size();
  if (text.size() >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;  // UTF-8 byte-order mark

  // ---- header ---------------------------------------------------------------------------------
  const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
  const char* he = nl ? nl : end;
  if (he > p && he[-1] == '\r') --he;
  if (he == p)
    fail_line(path, 1, text.empty() ? "empty file (expected a header line: userID<TAB>itemID<TAB>x_label)"
                                    : "empty header line (expected: userID<TAB>itemID<TAB>x_label)");
  std::vector<std::string> cols;
  for (const char* fb = p;;) {
    const char* t = static_cast<const char*>(std::memchr(fb, '\t', static_cast<size_t>(he - fb)));
    cols.push_back(trim(std::string(fb, t ? t : he)));
    if (!t) break;
    fb = t + 1;
  }
  int cu = -1, ci = -1, cl = -1;
  const char* names[3] = {"userID", "itemID", "x_label"};
  int* slots[3] = {&cu, &ci, &cl};
  for (int k = 0; k < static_cast<int>(cols.size()); ++k)
    for (int r = 0; r < 3; ++r)
      if (cols[static_cast<size_t>(k)] == names[r]) {
        if (*slots[r] >= 0)
          fail_line(path, 1, std::string("column '") + names[r] + "' appears twice in the header (columns " +
                                 std::to_string(*slots[r] + 1) + " and " + std::to_string(k + 1) + ")");
        *slots[r] = k;
      }
  for (int r = 0; r < 3; ++r)
    if (*slots[r] < 0) {
      std::string have;
      for (const auto& c : cols) have += (have.empty() ? "" : ", ") + ("'" + c + "'");
      fail_line(path, 1, std::string("missing required column '") + names[r] +
                             "' (the header must name userID, itemID and x_label, tab-separated; found " + have + ")");
    }
  const int ncols = static_cast<int>(cols.size());
  const std::string expect_fields = "expected " + std::to_string(ncols) + " tab-separated fields as in the header";

  // ---- rows -----------------------------------------------------------------------------------
  std::vector<int32_t> U, I;
  std::vector<uint8_t> L;
  {
    const size_t approx = static_cast<size_t>(std::count(p, end, '\n')) + 1;
    U.reserve(approx); I.reserve(approx); L.reserve(approx);
  }
  int64_t line = 1;
  int32_t max_u = -1, max_i = -1;
  for (const char* b = nl ? nl + 1 : end; b < end;) {
    ++line;
    const char* n2 = static_cast<const char*>(std::memchr(b, '\n', static_cast<size_t>(end - b)));
    const char* e = n2 ? n2 : end;
    const char* next = n2 ? n2 + 1 : end;
    if (e > b && e[-1] == '\r') --e;
    if (e == b) {
      // A blank line is tolerated only at the end of the file (trailing newlines).
      bool rest_blank = true;
      for (const char* q = next; q < end; ++q)
        if (*q != '\n' && *q != '\r') { rest_blank = false; break; }
      if (rest_blank) break;
      fail_line(path, line, "blank line inside the data (" + expect_fields + ")");
    }
    const char *ub = nullptr, *ue = nullptr, *ib = nullptr, *ie = nullptr, *lb = nullptr, *le = nullptr;
    int k = 0;
    for (const char* fb = b;;) {
      const char* t = static_cast<const char*>(std::memchr(fb, '\t', static_cast<size_t>(e - fb)));
      const char* fe = t ? t : e;
      if (k == cu) { ub = fb; ue = fe; }
      if (k == ci) { ib = fb; ie = fe; }
      if (k == cl) { lb = fb; le = fe; }
      ++k;
      if (!t) break;
      fb = t + 1;
    }
    if (k != ncols)
      fail_line(path, line, expect_fields + ", found " + std::to_string(k) + ": " + quoted(b, e));
    const int32_t u = parse_id(ub, ue, "userID", path, line);
    const int32_t i = parse_id(ib, ie, "itemID", path, line);
    const int lab = parse_label(lb, le, path, line);
    U.push_back(u); I.push_back(i); L.push_back(static_cast<uint8_t>(lab));
    max_u = std::max(max_u, u);
    max_i = std::max(max_i, i);
    b = next;
  }
  const size_t n = U.size();
  if (n == 0) fail_line(path, line, "no data rows after the header (expected userID<TAB>itemID<TAB>x_label rows)");
  check_dense(U, max_u, "userID", "users", path);
  check_dense(I, max_i, "itemID", "items", path);

  // ---- duplicates -----------------------------------------------------------------------------
  // Rows are at line (row index + 2): blank lines only occur after the last row.
  std::vector<uint8_t> drop;
  int64_t dropped = 0;
  {
    bool increasing = true;  // the common case (files sorted by user, item): no sort needed
    uint64_t prev = 0;
    for (size_t r = 0; r < n && increasing; ++r) {
      const uint64_t key = (static_cast<uint64_t>(U[r]) << 32) | static_cast<uint32_t>(I[r]);
      if (r > 0 && key <= prev) increasing = false;
      prev = key;
    }
    if (!increasing) {
      std::vector<std::pair<uint64_t, uint32_t>> keys(n);
      for (size_t r = 0; r < n; ++r)
        keys[r] = {(static_cast<uint64_t>(U[r]) << 32) | static_cast<uint32_t>(I[r]), static_cast<uint32_t>(r)};
      std::sort(keys.begin(), keys.end());
      size_t first_dup = n, first_orig = n;
      for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && keys[b].first == keys[a].first) ++b;
        for (size_t c = a + 1; c < b; ++c) {  // keys[a] holds the smallest row index of the group
          if (drop.empty()) drop.assign(n, 0);
          drop[keys[c].second] = 1;
          ++dropped;
          if (keys[c].second < first_dup) { first_dup = keys[c].second; first_orig = keys[a].second; }
        }
        a = b;
      }
      if (dropped > 0) {
        const std::string pair = "(user " + std::to_string(U[first_dup]) + ", item " + std::to_string(I[first_dup]) + ")";
        if (opt.reject_duplicates)
          fail_line(path, static_cast<int64_t>(first_dup) + 2,
                    "duplicate " + pair + ": the same pair is already at line " +
                        std::to_string(first_orig + 2) + " (each (userID, itemID) pair may appear once)");
      }
    }
  }

  // ---- splits ---------------------------------------------------------------------------------
  Dataset d;
  d.inter_path = path;
  d.n_users = max_u + 1;
  d.n_items = max_i + 1;
  size_t cnt[3] = {0, 0, 0};
  for (size_t r = 0; r < n; ++r)
    if (drop.empty() || !drop[r]) ++cnt[L[r]];
  Interactions* split[3] = {&d.train, &d.valid, &d.test};
  for (int s = 0; s < 3; ++s) { split[s]->user.reserve(cnt[s]); split[s]->item.reserve(cnt[s]); }
  for (size_t r = 0; r < n; ++r)
    if (drop.empty() || !drop[r]) split[L[r]]->push(U[r], I[r]);
  if (d.train.size() == 0)
    throw Error(path + ": no train rows (x_label 0) among " + std::to_string(n) +
                " rows: a dataset needs a non-empty train split");

  d.duplicates_dropped = dropped;
  if (dropped > 0) {
    std::string note = path + ": dropped " + std::to_string(dropped) +
                       " duplicate (user, item) row(s), keeping the first occurrence of each pair";
    d.notes.push_back(note);
    std::fprintf(stderr, "note: %s\n", note.c_str());
  }
  std::vector<uint8_t> has_train(static_cast<size_t>(d.n_users), 0);
  for (int32_t u : d.train.user) has_train[static_cast<size_t>(u)] = 1;
  for (int32_t u = 0; u < d.n_users; ++u)
    if (!has_train[static_cast<size_t>(u)]) d.users_without_train.push_back(u);
  if (!d.users_without_train.empty())
    d.notes.push_back(std::to_string(d.users_without_train.size()) +
                      " user(s) have no train rows (they are kept, and only evaluated)");
  return d;
}

Dataset read_inter(const std::string& path, const LoadOptions& opt) {
  Dataset d = parse_inter(read_file(path), path, opt);
  const std::string base = base_name(path);
  d.name = ends_with(base, ".inter") ? base.substr(0, base.size() - 6) : base;
  d.dir = dir_name(path);
  return d;
}

void write_inter(const std::string& path, const Dataset& d) {
  // Rows sorted by (userID, itemID), the layout of the MMRec files; within a split that is the
  // order it is read back in. A pair present in two splits is written once per split.
  struct Row { int32_t u, i; uint8_t l; };
  std::vector<Row> rows;
  rows.reserve(static_cast<size_t>(d.train.size() + d.valid.size() + d.test.size()));
  const Interactions* split[3] = {&d.train, &d.valid, &d.test};
  for (uint8_t s = 0; s < 3; ++s)
    for (int64_t r = 0; r < split[s]->size(); ++r)
      rows.push_back({split[s]->user[static_cast<size_t>(r)], split[s]->item[static_cast<size_t>(r)], s});
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.u != b.u ? a.u < b.u : a.i < b.i;
  });
  std::string out = "userID\titemID\tx_label\n";
  out.reserve(out.size() + rows.size() * 16);
  char buf[40];
  for (const Row& r : rows) {
    char* q = std::to_chars(buf, buf + 12, r.u).ptr;
    *q++ = '\t';
    q = std::to_chars(q, q + 12, r.i).ptr;
    *q++ = '\t';
    *q++ = static_cast<char>('0' + r.l);
    *q++ = '\n';
    out.append(buf, static_cast<size_t>(q - buf));
  }
  write_file_atomic(path, out);
}

}  // namespace lethe::io
