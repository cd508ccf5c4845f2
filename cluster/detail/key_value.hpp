#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace troupe::cluster::detail {

/// An etcd lease id; 0 is "no lease".
using LeaseId = std::int64_t;

/// One key as etcd stores it, with the revisions that order its history:
/// `create_revision` is the revision that created it (0 for a key that
/// does not exist), `mod_revision` the one that last changed it (or, in a
/// delete event, the deletion's). A plain value.
struct KeyValue {
  std::string key{};
  std::string value{};
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  LeaseId lease = 0;

  bool operator==(const KeyValue&) const = default;
};

/// Keys read at one revision of the store: what get_prefix gives. Watching
/// from `revision + 1` sees every change after that read, none missed and
/// none twice.
struct RangeResult {
  std::vector<KeyValue> kvs{};
  std::int64_t revision = 0;
};

}  // namespace troupe::cluster::detail
