// io/table.h — result tables as CSV (RFC 4180: fields holding a comma, quote or line break are
// quoted, quotes doubled) and GitHub Markdown (numeric columns right-aligned, '|' escaped, line
// breaks turned into spaces). Rows are cells of text or numbers; a number is formatted once,
// when the cell is made: integers exactly, doubles in the shortest round-trip form
// (format_double) or with a fixed number of decimals. Writers are atomic (io/atomic_file.h).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace lethe::io {

struct Cell {
  std::string text;
  bool numeric = false;

  Cell(const char* s) : text(s) {}
  Cell(std::string s) : text(std::move(s)) {}
  // decimals < 0: shortest round-trip; otherwise fixed ("%.*f"). NaN/inf: "nan", "inf", "-inf".
  Cell(double v, int decimals = -1);
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Cell(T v) : text(std::to_string(v)), numeric(true) {}
};

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // Throws lethe::Error when the row's length differs from the header's.
  Table& add_row(std::vector<Cell> row);

  const std::vector<std::string>& header() const { return header_; }
  const std::vector<std::vector<Cell>>& rows() const { return rows_; }

  std::string to_csv() const;
  std::string to_markdown() const;
  void write_csv(const std::string& path) const;
  void write_markdown(const std::string& path) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<Cell>> rows_;
};

}  // namespace lethe::io
