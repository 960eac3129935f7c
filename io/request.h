// io/request.h — deletion requests (docs/MODELS.md, "Requests"): what to forget, turned into the forget set D_f
// and the retain set D_r. A request is persisted as a small text file, and resolve() is a pure
// function of the data set and that file, so every unlearning method and Retrain see the
// identical split.
//
// Regimes (ratios are of the candidates, i.e. of the entities that HAVE train rows):
//   user        all train interactions of the selected users; default ratio 0.05
//   item        all train interactions with the selected items (their content stays: the item
//               becomes cold); default ratio 0.01
//   interaction selected train (u, i) rows, uniform; default ratio 0.05
//   explicit    a hand-written file (any mix of the three line kinds)
// Selection (user and item regimes): random, most-active or least-active (by train degree;
// ties broken by the seeded random key). Selecting k = max(1, round(ratio · candidates))
// entities is deterministic: each candidate gets the key philox(seed, rng_stream(kRequest,
// regime, 0), id) and the k smallest keys (in the selection's order) are taken.
//
// File format (UTF-8 text, one entity per line, '#' lines are comments):
//   # lethe deletion request v1
//   # dataset: tiktok
//   # fingerprint: 0123456789abcdef      (Dataset::fingerprint() of the data it was made for)
//   # regime: user
//   # ratio: 0.05
//   # selection: random
//   # seed: 1
//   user 17
//   item 5
//   interaction 17 5
// Fields are separated by spaces or tabs; '#' starts a comment (whole line or trailing). Header
// comments are optional (a hand-written file is an explicit request); when present they are
// validated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace lethe::io {

enum class Regime : uint8_t { kUser = 0, kItem = 1, kInteraction = 2, kExplicit = 3 };
enum class Selection : uint8_t { kRandom = 0, kMostActive = 1, kLeastActive = 2 };

const char* regime_name(Regime r);        // "user", "item", "interaction", "explicit"
const char* selection_name(Selection s);  // "random", "most-active", "least-active"
Regime parse_regime(const std::string& s);        // throws naming the accepted values
Selection parse_selection(const std::string& s);  // throws naming the accepted values
double default_ratio(Regime r);                   // 0.05 / 0.01 / 0.05 (explicit: 0)

struct RequestSpec {
  Regime regime = Regime::kUser;
  double ratio = 0;  // <= 0: default_ratio(regime)
  Selection selection = Selection::kRandom;
  uint64_t seed = 0;
};

struct Request {
  RequestSpec spec;           // how it was made (regime kExplicit for a file without a header)
  uint64_t fingerprint = 0;   // of the data set it was made for; 0 = not recorded
  std::string dataset_name;   // informational
  std::vector<int32_t> users;  // deleted users, ascending
  std::vector<int32_t> items;  // deleted items, ascending
  Interactions interactions;   // deleted (u, i) pairs: train order (made) or file order (read)
  // What read_request accepted only because it was forced (ReadRequestOptions::force), in words,
  // for the outputs to record; empty otherwise.
  std::vector<std::string> forced;
  int64_t entities() const {
    return static_cast<int64_t>(users.size() + items.size()) + interactions.size();
  }
};

// Selects from d's TRAIN split. Throws for the explicit regime, a ratio outside (0, 1], or a
// selection other than random for the interaction regime.
Request make_request(const Dataset& d, const RequestSpec& spec);

// Writes the request file (header + entity lines) through a temporary file and a rename.
void write_request(const std::string& path, const Request& r, const Dataset& d);

struct ReadRequestOptions {
  // A request made for other data (its header's fingerprint differs from the data set's), or
  // whose header's regime contradicts its lines (a "user" request listing items), is refused.
  // force accepts it: a warning on stderr, the regime becomes "explicit" when it contradicted the
  // lines, and Request::forced says what was accepted.
  bool force = false;
};
// Reads and validates a request file against d: unknown keyword, wrong field count, non-integer
// or out-of-range IDs, an interaction that is not a train row, a user or item without train
// rows, a duplicate line, an empty request, a line of another kind than the header's regime,
// another data set's fingerprint (unless forced) — each an error naming FILE:LINE.
Request read_request(const std::string& path, const Dataset& d, const ReadRequestOptions& opt = {});
Request parse_request(const std::string& text, const std::string& path, const Dataset& d,
                      const ReadRequestOptions& opt = {});

struct ForgetSplit {
  Interactions forget;                // D_f: the train rows the request deletes, in train order
  Interactions retain;                // D_r: the other train rows, in train order
  std::vector<int32_t> forget_users;  // users who lose at least one train row, ascending
  std::vector<int32_t> deleted_users;  // user lines of the request (the users deleted whole)
  std::vector<int32_t> deleted_items;  // item lines of the request
};

// D_f = train rows whose user is deleted, whose item is deleted, or that are a listed pair.
ForgetSplit resolve(const Dataset& d, const Request& r);

}  // namespace lethe::io
