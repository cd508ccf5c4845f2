#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <troupe/cluster/detail/etcd_session.hpp>
#include <troupe/cluster/detail/unary_call.hpp>

namespace troupe::cluster::detail {

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return static_cast<bool>(in) || in.eof();
}

int millis(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 1, std::numeric_limits<int>::max()));
}

grpc::ChannelArguments channel_arguments(const EtcdOptions& o) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<std::size_t>(o.max_response_bytes, std::numeric_limits<int>::max())));
  // Pings find a connection that went silent (a frozen member, a dropped
  // path), which would otherwise leave a watch waiting for good. Idle
  // connections are not pinged: etcd counts that as abuse.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, millis(o.keepalive_interval));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, millis(o.keepalive_timeout));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A member that comes back is used again within a second, not after
  // gRPC's default backoff of up to two minutes. The "min" backoff is also
  // how long one connection attempt may take (TCP, TLS and the HTTP/2
  // settings): 100 ms failed calls to a live etcd on a loaded machine.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Each client has its own connections: two clients in one process (two
  // nodes of a test) must not share one TCP connection and its fate.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (o.tls && !o.tls->server_name_override.empty())
    args.SetSslTargetNameOverride(o.tls->server_name_override);
  return args;
}

void authenticate_rpc(EtcdSession::Endpoint& e, grpc::ClientContext* c,
                      const etcdserverpb::AuthenticateRequest* q,
                      etcdserverpb::AuthenticateResponse* r,
                      std::function<void(grpc::Status)> done) {
  e.auth->async()->Authenticate(c, q, r, std::move(done));
}

}  // namespace

EtcdResult<std::shared_ptr<EtcdSession>> EtcdSession::create(EtcdOptions options) {
  if (options.endpoints.empty())
    return unexpected(
        EtcdError(grpc::StatusCode::INVALID_ARGUMENT, "no etcd endpoints given", "connect"));
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    const std::pair<const std::string*, std::string*> files[] = {
        {&options.tls->ca_file, &ssl.pem_root_certs},
        {&options.tls->cert_file, &ssl.pem_cert_chain},
        {&options.tls->key_file, &ssl.pem_private_key}};
    for (const auto& [path, pem] : files) {
      if (path->empty()) continue;
      if (!read_file(*path, *pem))
        return unexpected(EtcdError(grpc::StatusCode::INVALID_ARGUMENT,
                                    "cannot read TLS file " + *path, "connect"));
    }
    if (ssl.pem_cert_chain.empty() != ssl.pem_private_key.empty())
      return unexpected(EtcdError(grpc::StatusCode::INVALID_ARGUMENT,
                                  "a TLS client certificate needs its key, and a key its "
                                  "certificate",
                                  "connect"));
    credentials = grpc::SslCredentials(ssl);
  }
  const grpc::ChannelArguments args = channel_arguments(options);
  std::shared_ptr<EtcdSession> s(new EtcdSession(std::move(options)));
  for (const auto& address : s->options_.endpoints) {
    Endpoint e;
    e.address = address;
    e.channel = grpc::CreateCustomChannel(address, credentials, args);
    e.kv = etcdserverpb::KV::NewStub(e.channel);
    e.lease = etcdserverpb::Lease::NewStub(e.channel);
    e.watch = etcdserverpb::Watch::NewStub(e.channel);
    e.auth = etcdserverpb::Auth::NewStub(e.channel);
    s->endpoints_.push_back(std::move(e));
  }
  return s;
}

EtcdSession::~EtcdSession() {
  // A call that outlived this long is stuck in gRPC: rather than destroy
  // its channel under it, leave the channels be (a leak, not an abort).
  if (!calls_->wait_idle(std::chrono::seconds(10)))
    (void)new std::vector<Endpoint>(std::move(endpoints_));
}

void EtcdSession::failed(std::size_t i) noexcept {
  std::size_t expected = i;
  (void)current_.compare_exchange_strong(expected, (i + 1) % endpoints_.size(),
                                         std::memory_order_acq_rel);
}

EtcdSession::Token EtcdSession::token() const {
  std::lock_guard lock(token_mutex_);
  return token_;
}

Task<EtcdResult<void>> EtcdSession::authenticate(std::shared_ptr<EtcdSession> self,
                                                 std::uint64_t stale, CallDeadline deadline) {
  if (self->token().generation != stale) co_return EtcdResult<void>{};
  const std::string operation = "authenticate as \"" + self->options_.user + "\"";
  etcdserverpb::AuthenticateRequest request;
  request.set_name(self->options_.user);
  request.set_password(self->options_.password);
  std::size_t tries = 0;
  while (true) {
    const std::size_t i = self->current();
    Endpoint& e = self->endpoint(i);
    UnaryOutcome<etcdserverpb::AuthenticateResponse> out =
        co_await unary_call<etcdserverpb::AuthenticateRequest, etcdserverpb::AuthenticateResponse>(
            *self, i, &authenticate_rpc, request, deadline, std::string());
    EtcdError error(out.status.error_code(), out.status.error_message(), operation, e.address);
    // etcd with auth off refuses to authenticate; calls then go without a
    // token (as etcd's own client does), until etcd asks for one.
    const bool auth_disabled =
        out.status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
        out.status.error_message().find("authentication is not enabled") != std::string::npos;
    if (out.status.ok() || auth_disabled) {
      std::lock_guard lock(self->token_mutex_);
      self->token_.value = auth_disabled ? std::string() : out.response.token();
      ++self->token_.generation;
      co_return EtcdResult<void>{};
    }
    if (error.is_unreachable()) {
      self->failed(i);
      if (error.code() == grpc::StatusCode::UNAVAILABLE && ++tries < self->endpoint_count() &&
          std::chrono::system_clock::now() < deadline)
        continue;
    }
    co_return unexpected(std::move(error));
  }
}

bool is_auth_failure(const EtcdError& error) {
  if (error.code() == grpc::StatusCode::UNAUTHENTICATED) return true;
  const std::string& d = error.detail();
  return d.find("etcdserver: invalid auth token") != std::string::npos ||
         d.find("etcdserver: user name is empty") != std::string::npos ||
         d.find("etcdserver: revision of auth store is old") != std::string::npos;
}

bool never_sent(const EtcdError& error) {
  return error.code() == grpc::StatusCode::UNAVAILABLE &&
         error.detail().find("failed to connect") != std::string::npos;
}

}  // namespace troupe::cluster::detail
