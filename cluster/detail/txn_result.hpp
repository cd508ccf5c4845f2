#pragma once

#include <cstdint>
#include <optional>

#include <troupe/cluster/detail/key_value.hpp>

namespace troupe::cluster::detail {

/// What create_if_absent came to: whether this call created the key, and
/// the key as it is after the transaction (ours if created, else the one
/// that was there: its value says who holds it). A plain value.
struct CreateResult {
  bool created = false;
  KeyValue current{};
  /// The store's revision after the transaction.
  std::int64_t revision = 0;
};

/// What a compare-and-set (put_if, erase_if) came to: whether the compare
/// held and the change was made, and the key as it is after the
/// transaction (empty when it does not exist). A plain value.
struct CasResult {
  bool succeeded = false;
  std::optional<KeyValue> current{};
  std::int64_t revision = 0;
};

}  // namespace troupe::cluster::detail
