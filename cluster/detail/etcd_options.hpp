#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <troupe/runtime/clock.hpp>

namespace troupe::cluster::detail {

/// TLS to etcd: PEM files of the CA that etcd's server certificate must
/// chain to and, when etcd checks clients (--client-cert-auth), this
/// client's certificate chain and private key. etcd's certificate must name
/// the host of the endpoint dialed (an IP SAN for "127.0.0.1:2379"), or
/// `server_name_override`.
struct EtcdTlsOptions {
  std::string ca_file{};
  std::string cert_file{};
  std::string key_file{};
  std::string server_name_override{};
};

/// How an EtcdClient reaches etcd. A plain value; every field but
/// `endpoints` has a default, so designated initializers name only what
/// they change.
struct EtcdOptions {
  /// "host:port" of etcd members. Calls go to one of them and move on to
  /// the next when it is unreachable or does not answer in time.
  std::vector<std::string> endpoints{};
  /// The deadline of every unary call (a get, a put, a grant, ...),
  /// retries on other endpoints included, and of opening a watch.
  Duration call_timeout = std::chrono::seconds(2);
  /// TLS for every connection. Without it, traffic (a password included)
  /// is readable on the path.
  std::optional<EtcdTlsOptions> tls{};
  /// etcd user and password: when `user` is set, the client authenticates
  /// (Auth/Authenticate) and sends the token with every call,
  /// re-authenticating when etcd says the token is no longer valid.
  std::string user{};
  std::string password{};
  /// HTTP/2 keepalive: a connection whose ping is not answered within the
  /// timeout is closed, which fails the watches and keep-alive streams on
  /// it instead of leaving them silent. etcd refuses pings more frequent
  /// than every 5 s (--grpc-keepalive-min-time).
  Duration keepalive_interval = std::chrono::seconds(10);
  Duration keepalive_timeout = std::chrono::seconds(5);
  /// The largest response accepted (a get_prefix of many keys, a watch
  /// batch of large values).
  std::size_t max_response_bytes = std::size_t{64} << 20;
};

}  // namespace troupe::cluster::detail
