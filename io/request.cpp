// io/request.cpp — see request.h.
#include "io/request.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/fs.h"
#include "io/hash.h"
#include "io/json.h"
#include "kernels/common.h"
#include "kernels/philox.h"

namespace lethe::io {

const char* regime_name(Regime r) {
  switch (r) {
    case Regime::kUser: return "user";
    case Regime::kItem: return "item";
    case Regime::kInteraction: return "interaction";
    case Regime::kExplicit: return "explicit";
  }
  return "?";
}
const char* selection_name(Selection s) {
  switch (s) {
    case Selection::kRandom: return "random";
    case Selection::kMostActive: return "most-active";
    case Selection::kLeastActive: return "least-active";
  }
  return "?";
}
Regime parse_regime(const std::string& s) {
  for (Regime r : {Regime::kUser, Regime::kItem, Regime::kInteraction, Regime::kExplicit})
    if (s == regime_name(r)) return r;
  throw Error("unknown regime '" + s + "' (expected user, item, interaction or explicit)");
}
Selection parse_selection(const std::string& s) {
  for (Selection x : {Selection::kRandom, Selection::kMostActive, Selection::kLeastActive})
    if (s == selection_name(x)) return x;
  throw Error("unknown selection '" + s + "' (expected random, most-active or least-active)");
}
double default_ratio(Regime r) {
  switch (r) {
    case Regime::kUser: return 0.05;
    case Regime::kItem: return 0.01;
    case Regime::kInteraction: return 0.05;
    case Regime::kExplicit: return 0.0;
  }
  return 0.0;
}

namespace {

uint64_t key64(uint64_t seed, Regime r, uint64_t id) {
  const U32x4 x = philox(seed, rng_stream(RngPurpose::kRequest, static_cast<uint32_t>(r), 0), id);
  return (static_cast<uint64_t>(x.v[0]) << 32) | x.v[1];
}

// Pick k of the entities 0..n-1 with deg > 0 (see request.h for the order).
std::vector<int32_t> select_entities(const std::vector<int64_t>& deg, double ratio, Selection sel, uint64_t seed,
                                     Regime r, int64_t* candidates) {
  struct Cand { int64_t deg; uint64_t key; int32_t id; };
  std::vector<Cand> c;
  for (size_t id = 0; id < deg.size(); ++id)
    if (deg[id] > 0) c.push_back({deg[id], key64(seed, r, id), static_cast<int32_t>(id)});
  *candidates = static_cast<int64_t>(c.size());
  const int64_t k = std::min<int64_t>(static_cast<int64_t>(c.size()),
                                      std::max<int64_t>(1, std::llround(ratio * static_cast<double>(c.size()))));
  auto by = [sel](const Cand& a, const Cand& b) {
    if (sel == Selection::kMostActive && a.deg != b.deg) return a.deg > b.deg;
    if (sel == Selection::kLeastActive && a.deg != b.deg) return a.deg < b.deg;
    return a.key != b.key ? a.key < b.key : a.id < b.id;
  };
  std::partial_sort(c.begin(), c.begin() + k, c.end(), by);
  std::vector<int32_t> out;
  for (int64_t j = 0; j < k; ++j) out.push_back(c[static_cast<size_t>(j)].id);
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t pair_key(int32_t u, int32_t i) { return (static_cast<uint64_t>(static_cast<uint32_t>(u)) << 32) | static_cast<uint32_t>(i); }

}  // namespace

Request make_request(const Dataset& d, const RequestSpec& spec) {
  if (spec.regime == Regime::kExplicit)
    throw Error("an explicit request is a hand-written file (user U / item I / interaction U I lines), not a selection");
  const double ratio = spec.ratio > 0 ? spec.ratio : default_ratio(spec.regime);
  if (!(ratio > 0 && ratio <= 1)) throw Error("request ratio must be in (0, 1], got " + format_double(spec.ratio));
  if (spec.regime == Regime::kInteraction && spec.selection != Selection::kRandom)
    throw Error(std::string("selection '") + selection_name(spec.selection) +
                "' applies to the user and item regimes; interaction requests are uniform (random)");
  if (d.train.size() == 0) throw Error("cannot make a request: the data set has no train rows");
  Request r;
  r.spec = spec;
  r.spec.ratio = ratio;
  r.fingerprint = d.fingerprint();
  r.dataset_name = d.name;
  int64_t cands = 0;
  if (spec.regime == Regime::kUser || spec.regime == Regime::kItem) {
    const bool users = spec.regime == Regime::kUser;
    std::vector<int64_t> deg(static_cast<size_t>(users ? d.n_users : d.n_items), 0);
    for (int32_t x : users ? d.train.user : d.train.item) ++deg[static_cast<size_t>(x)];
    (users ? r.users : r.items) = select_entities(deg, ratio, spec.selection, spec.seed, spec.regime, &cands);
  } else {
    const int64_t n = d.train.size();
    const int64_t k = std::min<int64_t>(n, std::max<int64_t>(1, std::llround(ratio * static_cast<double>(n))));
    std::vector<std::pair<uint64_t, int64_t>> keys(static_cast<size_t>(n));
    for (int64_t e = 0; e < n; ++e) keys[static_cast<size_t>(e)] = {key64(spec.seed, spec.regime, static_cast<uint64_t>(e)), e};
    std::partial_sort(keys.begin(), keys.begin() + k, keys.end());
    std::vector<int64_t> rows;
    for (int64_t j = 0; j < k; ++j) rows.push_back(keys[static_cast<size_t>(j)].second);
    std::sort(rows.begin(), rows.end());
    for (int64_t e : rows) r.interactions.push(d.train.user[static_cast<size_t>(e)], d.train.item[static_cast<size_t>(e)]);
  }
  return r;
}

void write_request(const std::string& path, const Request& r, const Dataset& d) {
  std::string out = "# lethe deletion request v1\n";
  out += "# dataset: " + (r.dataset_name.empty() ? d.name : r.dataset_name) + "\n";
  if (r.fingerprint) out += "# fingerprint: " + hex64(r.fingerprint) + "\n";
  out += std::string("# regime: ") + regime_name(r.spec.regime) + "\n";
  if (r.spec.regime != Regime::kExplicit) {
    out += "# ratio: " + format_double(r.spec.ratio) + "\n";
    out += std::string("# selection: ") + selection_name(r.spec.selection) + "\n";
    out += "# seed: " + std::to_string(r.spec.seed) + "\n";
  }
  out += "# entities: " + std::to_string(r.users.size()) + " user(s), " + std::to_string(r.items.size()) +
         " item(s), " + std::to_string(r.interactions.size()) + " interaction(s)\n";
  for (int32_t u : r.users) out += "user " + std::to_string(u) + "\n";
  for (int32_t i : r.items) out += "item " + std::to_string(i) + "\n";
  for (int64_t e = 0; e < r.interactions.size(); ++e)
    out += "interaction " + std::to_string(r.interactions.user[static_cast<size_t>(e)]) + " " +
           std::to_string(r.interactions.item[static_cast<size_t>(e)]) + "\n";
  write_file_atomic(path, out);
}

Request parse_request(const std::string& text, const std::string& path, const Dataset& d, const ReadRequestOptions& opt) {
  Request r;
  r.spec.regime = Regime::kExplicit;
  r.spec.ratio = 0;
  bool have_fp = false;
  uint64_t fp = 0;
  int64_t fp_line = 0, regime_line = 0;
  int64_t first_line_of_kind[3] = {0, 0, 0};  // user, item, interaction

  // Train membership: sorted (u,i) keys of train, and the other splits for better messages.
  auto sorted_keys = [](const Interactions& s) {
    std::vector<uint64_t> k(static_cast<size_t>(s.size()));
    for (int64_t e = 0; e < s.size(); ++e) k[static_cast<size_t>(e)] = pair_key(s.user[static_cast<size_t>(e)], s.item[static_cast<size_t>(e)]);
    std::sort(k.begin(), k.end());
    return k;
  };
  const std::vector<uint64_t> train = sorted_keys(d.train);
  std::vector<int64_t> udeg(static_cast<size_t>(d.n_users), 0), ideg(static_cast<size_t>(d.n_items), 0);
  for (int64_t e = 0; e < d.train.size(); ++e) {
    ++udeg[static_cast<size_t>(d.train.user[static_cast<size_t>(e)])];
    ++ideg[static_cast<size_t>(d.train.item[static_cast<size_t>(e)])];
  }
  // First line of each entity, for duplicate reports.
  std::vector<std::pair<uint64_t, int64_t>> seen;  // (kind<<62 | key, line)

  int64_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    const std::string at = path + ":" + std::to_string(line) + ": ";
    std::vector<std::string> tok;
    for (size_t k = 0; k < raw.size();) {
      while (k < raw.size() && (raw[k] == ' ' || raw[k] == '\t')) ++k;
      if (k >= raw.size()) break;
      const size_t b = k;
      while (k < raw.size() && raw[k] != ' ' && raw[k] != '\t') ++k;
      tok.push_back(raw.substr(b, k - b));
    }
    for (size_t k = 1; k < tok.size(); ++k)  // a trailing "# ..." is a comment
      if (tok[k][0] == '#') { tok.resize(k); break; }
    if (tok.empty()) continue;
    if (tok[0][0] == '#') {
      // Header comments: "# lethe deletion request vN" and "# key: value" for known keys.
      std::string body = raw.substr(raw.find('#') + 1);
      while (!body.empty() && (body[0] == ' ' || body[0] == '\t')) body.erase(0, 1);
      while (!body.empty() && (body.back() == ' ' || body.back() == '\t')) body.pop_back();
      const std::string magic = "lethe deletion request v";
      if (body.rfind(magic, 0) == 0) {
        if (body != magic + "1")
          throw Error(at + "unsupported request format '" + body + "' (this build reads 'lethe deletion request v1')");
        continue;
      }
      const size_t colon = body.find(':');
      if (colon == std::string::npos) continue;
      const std::string key = body.substr(0, colon);
      std::string val = body.substr(colon + 1);
      while (!val.empty() && val[0] == ' ') val.erase(0, 1);
      if (key == "fingerprint") {
        bool ok = val.size() == 16;
        uint64_t v = 0;
        for (char c : val) {
          v <<= 4;
          if (c >= '0' && c <= '9') v |= static_cast<uint64_t>(c - '0');
          else if (c >= 'a' && c <= 'f') v |= static_cast<uint64_t>(c - 'a' + 10);
          else ok = false;
        }
        if (!ok) throw Error(at + "malformed fingerprint '" + val + "' (expected 16 lowercase hex digits)");
        have_fp = true;
        fp = v;
        fp_line = line;
      } else if (key == "regime") {
        try { r.spec.regime = parse_regime(val); } catch (const Error& e) { throw Error(at + e.what()); }
        regime_line = line;
      } else if (key == "selection") {
        try { r.spec.selection = parse_selection(val); } catch (const Error& e) { throw Error(at + e.what()); }
      } else if (key == "ratio") {
        char* end = nullptr;
        const double v = std::strtod(val.c_str(), &end);
        if (val.empty() || *end != '\0' || !(v >= 0 && v <= 1)) throw Error(at + "malformed ratio '" + val + "' (expected a number in [0, 1])");
        r.spec.ratio = v;
      } else if (key == "seed") {
        char* end = nullptr;
        const unsigned long long v = std::strtoull(val.c_str(), &end, 10);
        if (val.empty() || *end != '\0' || val[0] == '-') throw Error(at + "malformed seed '" + val + "' (expected a non-negative integer)");
        r.spec.seed = v;
      } else if (key == "dataset") {
        r.dataset_name = val;
      }
      continue;
    }
    const std::string& kw = tok[0];
    int want;
    int kind;
    if (kw == "user") { want = 2; kind = 0; }
    else if (kw == "item") { want = 2; kind = 1; }
    else if (kw == "interaction") { want = 3; kind = 2; }
    else throw Error(at + "unknown keyword '" + kw + "' (expected 'user U', 'item I' or 'interaction U I')");
    if (static_cast<int>(tok.size()) != want)
      throw Error(at + "'" + kw + "' takes " + std::to_string(want - 1) + " field(s), found " +
                  std::to_string(tok.size() - 1) + ": '" + raw + "'");
    int64_t id[2] = {0, 0};
    for (int f = 1; f < want; ++f) {
      const std::string& t = tok[static_cast<size_t>(f)];
      bool ok = !t.empty() && t.size() <= 12;
      int64_t v = 0;
      for (char c : t) {
        if (c < '0' || c > '9') { ok = false; break; }
        v = v * 10 + (c - '0');
      }
      if (!ok) {
        const bool neg = t.size() > 1 && t[0] == '-';
        throw Error(at + (neg ? "negative ID '" : "not a non-negative integer ID: '") + t + "'");
      }
      id[f - 1] = v;
    }
    auto check_user = [&](int64_t u) {
      if (u >= d.n_users)
        throw Error(at + "user " + std::to_string(u) + " is out of range (the data set has " + std::to_string(d.n_users) +
                    " users: 0.." + std::to_string(d.n_users - 1) + ")");
    };
    auto check_item = [&](int64_t i) {
      if (i >= d.n_items)
        throw Error(at + "item " + std::to_string(i) + " is out of range (the data set has " + std::to_string(d.n_items) +
                    " items: 0.." + std::to_string(d.n_items - 1) + ")");
    };
    uint64_t key;
    if (kind == 0) {
      check_user(id[0]);
      if (udeg[static_cast<size_t>(id[0])] == 0)
        throw Error(at + "user " + std::to_string(id[0]) + " has no train interactions: there is nothing to forget");
      r.users.push_back(static_cast<int32_t>(id[0]));
      key = static_cast<uint64_t>(id[0]);
    } else if (kind == 1) {
      check_item(id[0]);
      if (ideg[static_cast<size_t>(id[0])] == 0)
        throw Error(at + "item " + std::to_string(id[0]) + " has no train interactions: there is nothing to forget");
      r.items.push_back(static_cast<int32_t>(id[0]));
      key = static_cast<uint64_t>(id[0]);
    } else {
      check_user(id[0]);
      check_item(id[1]);
      key = pair_key(static_cast<int32_t>(id[0]), static_cast<int32_t>(id[1]));
      if (!std::binary_search(train.begin(), train.end(), key)) {
        std::string where = "in no split";
        for (const auto* s : {&d.valid, &d.test})
          for (int64_t e = 0; e < s->size(); ++e)
            if (s->user[static_cast<size_t>(e)] == id[0] && s->item[static_cast<size_t>(e)] == id[1])
              where = s == &d.valid ? "in the valid split" : "in the test split";
        throw Error(at + "interaction (" + std::to_string(id[0]) + ", " + std::to_string(id[1]) +
                    ") is not a train interaction (it is " + where + "); only train rows can be forgotten");
      }
      r.interactions.push(static_cast<int32_t>(id[0]), static_cast<int32_t>(id[1]));
    }
    seen.push_back({(static_cast<uint64_t>(kind) << 62) | key, line});
    if (!first_line_of_kind[kind]) first_line_of_kind[kind] = line;
  }
  if (r.entities() == 0)
    throw Error(path + ": empty request (no 'user U', 'item I' or 'interaction U I' lines): nothing to forget");
  // Duplicates: report the second occurrence with the first's line.
  std::stable_sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  int64_t dup_line = 0, first_line = 0;
  for (size_t k = 1; k < seen.size(); ++k)
    if (seen[k].first == seen[k - 1].first && (dup_line == 0 || seen[k].second < dup_line)) {
      dup_line = seen[k].second;
      first_line = seen[k - 1].second;
    }
  if (dup_line)
    throw Error(path + ":" + std::to_string(dup_line) + ": duplicate entry (the same line is already at line " +
                std::to_string(first_line) + ")");
  std::sort(r.users.begin(), r.users.end());
  std::sort(r.items.begin(), r.items.end());
  // The header's regime says what kind of lines the request holds; a line of another kind would
  // be forgotten under the wrong label (and audited as the wrong regime).
  if (r.spec.regime != Regime::kExplicit) {
    const int own = static_cast<int>(r.spec.regime);
    static const char* kKinds[3] = {"user", "item", "interaction"};
    int64_t bad = 0;
    int bad_kind = 0;
    for (int k = 0; k < 3; ++k)
      if (k != own && first_line_of_kind[k] && (!bad || first_line_of_kind[k] < bad)) {
        bad = first_line_of_kind[k];
        bad_kind = k;
      }
    if (bad) {
      const std::string msg = path + ":" + std::to_string(bad) + ": '" + kKinds[bad_kind] +
                              "' line in a request whose header (line " + std::to_string(regime_line) +
                              ") says regime: " + regime_name(r.spec.regime) + ", so every line must be a '" +
                              kKinds[own] + "' line";
      if (!opt.force)
        throw Error(msg +
                    " (write '# regime: explicit' for a request that mixes kinds, or pass --force to read it as one)");
      std::fprintf(stderr, "warning: %s; read as an explicit request (--force)\n", msg.c_str());
      r.forced.push_back(msg + "; read as an explicit request");
      r.spec.regime = Regime::kExplicit;
    }
  }
  if (have_fp) {
    r.fingerprint = fp;
    const uint64_t mine = d.fingerprint();
    if (fp != mine) {
      const std::string msg = path + ":" + std::to_string(fp_line) + ": the request was made for data set fingerprint " +
                              hex64(fp) + ", this data set's is " + hex64(mine);
      if (!opt.force)
        throw Error(msg +
                    ": it belongs to other data (pass --force to use it anyway; its IDs are checked against "
                    "this data set)");
      std::fprintf(stderr, "warning: %s; the IDs were checked against this data set (--force)\n", msg.c_str());
      r.forced.push_back(msg);
    }
  }
  return r;
}

Request read_request(const std::string& path, const Dataset& d, const ReadRequestOptions& opt) {
  return parse_request(read_file(path), path, d, opt);
}

ForgetSplit resolve(const Dataset& d, const Request& r) {
  ForgetSplit out;
  std::vector<uint8_t> du(static_cast<size_t>(d.n_users), 0), di(static_cast<size_t>(d.n_items), 0);
  for (int32_t u : r.users) {
    if (u < 0 || u >= d.n_users) throw Error("resolve: request user " + std::to_string(u) + " is out of range");
    du[static_cast<size_t>(u)] = 1;
  }
  for (int32_t i : r.items) {
    if (i < 0 || i >= d.n_items) throw Error("resolve: request item " + std::to_string(i) + " is out of range");
    di[static_cast<size_t>(i)] = 1;
  }
  std::vector<uint64_t> pairs(static_cast<size_t>(r.interactions.size()));
  for (int64_t e = 0; e < r.interactions.size(); ++e)
    pairs[static_cast<size_t>(e)] = pair_key(r.interactions.user[static_cast<size_t>(e)], r.interactions.item[static_cast<size_t>(e)]);
  std::sort(pairs.begin(), pairs.end());
  std::vector<uint8_t> lost(static_cast<size_t>(d.n_users), 0);
  for (int64_t e = 0; e < d.train.size(); ++e) {
    const int32_t u = d.train.user[static_cast<size_t>(e)], i = d.train.item[static_cast<size_t>(e)];
    const bool f = du[static_cast<size_t>(u)] || di[static_cast<size_t>(i)] ||
                   (!pairs.empty() && std::binary_search(pairs.begin(), pairs.end(), pair_key(u, i)));
    if (f) {
      out.forget.push(u, i);
      lost[static_cast<size_t>(u)] = 1;
    } else {
      out.retain.push(u, i);
    }
  }
  for (int32_t u = 0; u < d.n_users; ++u)
    if (lost[static_cast<size_t>(u)]) out.forget_users.push_back(u);
  out.deleted_users = r.users;
  out.deleted_items = r.items;
  return out;
}

}  // namespace lethe::io
