#pragma once

// A plain-text table for the tool's human output: columns sized to their widest cell.

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace shardfit::cli {

class table {
 public:
  explicit table(std::vector<std::string> header) : rows_{std::move(header)} {}

  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  [[nodiscard]] bool empty() const noexcept { return rows_.size() <= 1; }

  /// Prints with two spaces between columns; `right` lists right-aligned column numbers.
  void print(std::ostream& out, const std::vector<std::size_t>& right = {}) const {
    std::vector<std::size_t> width;
    for (const auto& row : rows_) {
      if (width.size() < row.size()) width.resize(row.size(), 0);
      for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows_) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        const bool last = i + 1 == row.size();
        const std::size_t pad = width[i] - row[i].size();
        const bool r = std::find(right.begin(), right.end(), i) != right.end();
        if (r) line.append(pad, ' ');
        line += row[i];
        if (!r && !last) line.append(pad, ' ');
        if (!last) line += "  ";
      }
      line.erase(line.find_last_not_of(' ') + 1);
      out << line << '\n';
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace shardfit::cli
