#pragma once

// Parsing helpers shared by the tool's subcommands: lists and sizes given on the command line.

#include <shardfit/core/error.hpp>
#include <shardfit/core/units.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace shardfit::cli {

/// The tool's way to resolve an error that names a library setting (`error::option()`):
/// " (use --force to replace the set)"; empty for none.
inline std::string option_hint(const std::string& setting) {
  if (setting == "force") return " (use --force to replace the set)";
  if (setting == "set_name") return " (choose one with --set NAME)";
  if (setting == "out_dir") return " (choose another --out)";
  return {};
}

/// Splits "a,b,c" (empty items are an error).
inline std::vector<std::string> split_list(const std::string& text, const std::string& option) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw error::invalid_argument(option + ": empty item in '" + text + "'");
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

/// "3,1" → {3.0, 1.0}.
inline std::vector<double> parse_proportions(const std::string& text, const std::string& option) {
  std::vector<double> out;
  for (const auto& item : split_list(text, option)) {
    std::size_t used = 0;
    double v = -1;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || !(v >= 0)) {
      throw error::invalid_argument(option + ": '" + item + "' is not a non-negative number");
    }
    out.push_back(v);
  }
  return out;
}

/// "NAME=SIZE" or "SIZE" items: name (or `prefix` + index) and size.
inline std::vector<std::pair<std::string, bytes>> parse_sized_list(const std::string& text,
                                                                   const std::string& option,
                                                                   const std::string& prefix) {
  std::vector<std::pair<std::string, bytes>> out;
  for (const auto& item : split_list(text, option)) {
    const auto eq = item.rfind('=');
    std::string name =
        eq == std::string::npos ? prefix + std::to_string(out.size()) : item.substr(0, eq);
    const std::string size = eq == std::string::npos ? item : item.substr(eq + 1);
    std::string why;
    const auto b = try_parse_bytes(size, &why);
    if (!b) throw error::invalid_argument(option + ": '" + size + "': " + why);
    out.emplace_back(std::move(name), *b);
  }
  return out;
}

}  // namespace shardfit::cli
