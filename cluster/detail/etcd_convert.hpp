#pragma once

// Internal to the cluster module's sources (see etcd_session.hpp).

#include <etcd/mvccpb/kv.pb.h>

#include <troupe/cluster/detail/key_value.hpp>

namespace troupe::cluster::detail {

/// etcd's KeyValue message as the client's plain value.
inline KeyValue to_key_value(const mvccpb::KeyValue& m) {
  KeyValue kv;
  kv.key = m.key();
  kv.value = m.value();
  kv.create_revision = m.create_revision();
  kv.mod_revision = m.mod_revision();
  kv.version = m.version();
  kv.lease = m.lease();
  return kv;
}

}  // namespace troupe::cluster::detail
