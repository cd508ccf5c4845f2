#pragma once

#include <string>

namespace troupe::cluster::detail {

/// A range of keys as etcd takes it: [key, range_end).
struct KeyRange {
  std::string key;
  std::string range_end;
};

/// Every key that starts with `prefix`: the range ends at the prefix with
/// its last byte below 0xff incremented (trailing 0xff bytes dropped).
/// An empty prefix, or one of 0xff bytes only, has no such end: "\0" then
/// means "every key from `key` on", as in etcd's own client.
inline KeyRange prefix_range(std::string prefix) {
  std::string end = prefix;
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) {
    if (prefix.empty()) prefix = std::string(1, '\0');
    return {std::move(prefix), std::string(1, '\0')};
  }
  end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return {std::move(prefix), std::move(end)};
}

}  // namespace troupe::cluster::detail
