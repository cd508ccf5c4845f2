#pragma once

#include <stdexcept>
#include <string>

#include <grpcpp/support/status.h>

#include <troupe/runtime/expected.hpp>

namespace troupe::cluster::detail {

/// Why an etcd call failed: the gRPC status code (UNAVAILABLE,
/// DEADLINE_EXCEEDED, etcd's own codes such as INVALID_ARGUMENT for a wrong
/// password, OUT_OF_RANGE for a compacted watch), the text etcd or gRPC
/// gave, the operation and the endpoint it was sent to. A plain value.
class EtcdError {
 public:
  EtcdError(grpc::StatusCode code, std::string detail, std::string operation = {},
            std::string endpoint = {})
      : code_(code),
        detail_(std::move(detail)),
        operation_(std::move(operation)),
        endpoint_(std::move(endpoint)) {}

  grpc::StatusCode code() const noexcept { return code_; }
  /// What etcd or gRPC said ("etcdserver: user name is empty").
  const std::string& detail() const noexcept { return detail_; }
  /// The call that failed ("put", "watch", ...), if known.
  const std::string& operation() const noexcept { return operation_; }
  /// The endpoint the call went to ("127.0.0.1:2379"), if any.
  const std::string& endpoint() const noexcept { return endpoint_; }
  /// One readable sentence: "etcd put at 127.0.0.1:2379 failed:
  /// UNAVAILABLE: failed to connect to all addresses".
  std::string message() const;
  /// etcd could not be reached or did not answer in time: another
  /// endpoint, or a later try, may succeed.
  bool is_unreachable() const noexcept {
    return code_ == grpc::StatusCode::UNAVAILABLE || code_ == grpc::StatusCode::DEADLINE_EXCEEDED;
  }

 private:
  grpc::StatusCode code_;
  std::string detail_;
  std::string operation_;
  std::string endpoint_;
};

/// The name of a gRPC status code, as gRPC spells it ("UNAVAILABLE").
const char* status_code_name(grpc::StatusCode code) noexcept;

/// What `Expected<T, EtcdError>::value()` throws without a value.
class EtcdFailed : public std::runtime_error {
 public:
  explicit EtcdFailed(const EtcdError& error)
      : std::runtime_error(error.message()), error_(error) {}
  const EtcdError& error() const noexcept { return error_; }

 private:
  EtcdError error_;
};

}  // namespace troupe::cluster::detail

namespace troupe {
/// An EtcdResult's value() without a value throws cluster::detail::EtcdFailed.
template <>
struct ErrorTraits<cluster::detail::EtcdError> {
  [[noreturn]] static void raise(const cluster::detail::EtcdError& e) {
    throw cluster::detail::EtcdFailed(e);
  }
};
}  // namespace troupe

namespace troupe::cluster::detail {

/// The result of every etcd call: the value, or why not (value() throws
/// EtcdFailed without one).
template <class T>
using EtcdResult = Expected<T, EtcdError>;

}  // namespace troupe::cluster::detail
