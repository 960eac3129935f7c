// io/table.cpp — see table.h.
#include "io/table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "io/atomic_file.h"
#include "io/json.h"
#include "kernels/common.h"

namespace lethe::io {

Cell::Cell(double v, int decimals) : numeric(true) {
  if (decimals < 0 || !std::isfinite(v)) {
    text = format_double(v);
  } else {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals > 30 ? 30 : decimals, v);
    text = buf;
  }
}

Table& Table::add_row(std::vector<Cell> row) {
  if (row.size() != header_.size())
    throw Error("table row has " + std::to_string(row.size()) + " cells, the header has " + std::to_string(header_.size()));
  rows_.push_back(std::move(row));
  return *this;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
std::string md_field(const std::string& s) {
  std::string out;
  for (size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else if (c == '\r') { if (k + 1 >= s.size() || s[k + 1] != '\n') out += ' '; }
    else out += c;
  }
  return out;
}
}  // namespace

std::string Table::to_csv() const {
  std::string out;
  for (size_t c = 0; c < header_.size(); ++c) out += (c ? "," : "") + csv_field(header_[c]);
  out += '\n';
  for (const auto& r : rows_) {
    for (size_t c = 0; c < r.size(); ++c) out += (c ? "," : "") + csv_field(r[c].text);
    out += '\n';
  }
  return out;
}

namespace {
// Characters as a reader sees them: UTF-8 code points ("–", "θ₀", "µs" are one or two, not 3–5 bytes).
size_t display_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80 ? 1 : 0;
  return n;
}
// A cell that stands for "no value" in a numeric column ("–", "-" or empty) keeps it numeric.
bool placeholder(const Cell& c) { return c.text == "–" || c.text == "-" || c.text.empty(); }
}  // namespace

std::string Table::to_markdown() const {
  const size_t n = header_.size();
  std::vector<size_t> width(n, 3);
  std::vector<bool> numeric(n, false), text(n, false);
  for (size_t c = 0; c < n; ++c) width[c] = std::max(width[c], display_width(md_field(header_[c])));
  for (const auto& r : rows_)
    for (size_t c = 0; c < n; ++c) {
      width[c] = std::max(width[c], display_width(md_field(r[c].text)));
      if (r[c].numeric) numeric[c] = true;
      else if (!placeholder(r[c])) text[c] = true;
    }
  for (size_t c = 0; c < n; ++c) numeric[c] = numeric[c] && !text[c];  // right-aligned: numbers and placeholders only
  auto line = [&](auto cell_text, bool right) {
    std::string out = "|";
    for (size_t c = 0; c < n; ++c) {
      const std::string t = cell_text(c);
      const std::string pad(width[c] - std::min(width[c], display_width(t)), ' ');
      out += " " + ((right && numeric[c]) ? pad + t : t + pad) + " |";
    }
    return out + "\n";
  };
  std::string out = line([&](size_t c) { return md_field(header_[c]); }, true);
  out += "|";
  for (size_t c = 0; c < n; ++c) out += " " + std::string(width[c] - (numeric[c] ? 1 : 0), '-') + (numeric[c] ? ":" : "") + " |";
  out += "\n";
  for (const auto& r : rows_) out += line([&](size_t c) { return md_field(r[c].text); }, true);
  return out;
}

void Table::write_csv(const std::string& path) const { write_file_atomic(path, to_csv()); }
void Table::write_markdown(const std::string& path) const { write_file_atomic(path, to_markdown()); }

}  // namespace lethe::io
