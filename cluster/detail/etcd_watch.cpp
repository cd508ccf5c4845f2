#include <chrono>
#include <optional>
#include <utility>
#include <variant>

#include <troupe/cluster/detail/etcd_convert.hpp>
#include <troupe/cluster/detail/etcd_session.hpp>
#include <troupe/cluster/detail/etcd_watch.hpp>
#include <troupe/cluster/detail/key_range.hpp>
#include <troupe/cluster/detail/stream_call.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>

namespace troupe::cluster::detail {

using WatchCall = StreamCall<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>;

struct EtcdWatch::State {
  std::shared_ptr<EtcdSession> session;
  std::size_t endpoint = 0;
  std::int64_t start_revision = 0;
  std::unique_ptr<WatchCall> call;
  bool reading = false;             // a read is in flight (it may outlive a cancelled next())
  std::optional<WatchBatch> first;  // events that came with etcd's confirmation
  std::optional<EtcdError> error;   // set once the watch is over
};

namespace {

void open_watch(
    EtcdSession::Endpoint& e, grpc::ClientContext* context,
    grpc::ClientBidiReactor<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>* r) {
  e.watch->async()->Watch(context, r);
}

WatchBatch to_batch(const etcdserverpb::WatchResponse& r) {
  WatchBatch batch;
  batch.revision = r.header().revision();
  batch.events.reserve(static_cast<std::size_t>(r.events_size()));
  for (const auto& e : r.events()) {
    WatchEvent event;
    event.type =
        e.type() == mvccpb::Event::DELETE ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    event.kv = to_key_value(e.kv());
    batch.events.push_back(std::move(event));
  }
  return batch;
}

// Why etcd ended the watch, from a response that says it did (else empty).
std::optional<EtcdError> ended_by_etcd(const etcdserverpb::WatchResponse& r,
                                       const EtcdWatch::State& s) {
  const std::string& at = s.session->endpoint(s.endpoint).address;
  if (r.compact_revision() != 0)
    return EtcdError(grpc::StatusCode::OUT_OF_RANGE,
                     "the history from revision " + std::to_string(s.start_revision) +
                         " was compacted; it starts at " + std::to_string(r.compact_revision()),
                     "watch", at);
  if (r.canceled())
    return EtcdError(grpc::StatusCode::CANCELLED,
                     r.cancel_reason().empty() ? "etcd cancelled the watch" : r.cancel_reason(),
                     "watch", at);
  return std::nullopt;
}

EtcdError stream_error(const grpc::Status& status, EtcdWatch::State& s) {
  EtcdSession::Endpoint& e = s.session->endpoint(s.endpoint);
  if (status.ok())
    return EtcdError(grpc::StatusCode::UNAVAILABLE, "etcd ended the watch stream", "watch",
                     e.address);
  EtcdError error(status.error_code(), status.error_message(), "watch", e.address);
  if (error.is_unreachable()) s.session->failed(s.endpoint);
  return error;
}

// Ends the watch: `why` stands unless the stream's final status says more.
Task<void> end_watch(std::shared_ptr<EtcdWatch::State> s, EtcdError why, bool use_status) {
  s->error = std::move(why);  // first, in case this task is cancelled while it waits
  grpc::Status status = co_await s->call->finish();
  if (use_status) s->error = stream_error(status, *s);
}

Task<EtcdResult<WatchBatch>> next_batch(std::shared_ptr<EtcdWatch::State> s) {
  if (!s)
    co_return unexpected(
        EtcdError(grpc::StatusCode::FAILED_PRECONDITION, "the watch was moved away", "watch"));
  if (s->first) {
    WatchBatch batch = std::move(*s->first);
    s->first.reset();
    co_return batch;
  }
  while (true) {
    if (s->error) co_return unexpected(*s->error);
    if (!s->reading) {
      s->call->start_read();
      s->reading = true;
    }
    const std::optional<bool> ok = co_await s->call->reads().next();
    s->reading = false;
    if (!ok.value_or(false)) {
      EtcdError lost(grpc::StatusCode::UNAVAILABLE, "the watch stream was lost", "watch",
                     s->session->endpoint(s->endpoint).address);
      co_await end_watch(s, std::move(lost), true);
      continue;
    }
    const etcdserverpb::WatchResponse& r = s->call->received();
    if (std::optional<EtcdError> ended = ended_by_etcd(r, *s)) {
      co_await end_watch(s, std::move(*ended), false);
      continue;
    }
    if (r.events_size() == 0) continue;  // a progress notice
    co_return to_batch(r);
  }
}

}  // namespace

EtcdWatch::EtcdWatch(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}
EtcdWatch::EtcdWatch(EtcdWatch&&) noexcept = default;
EtcdWatch& EtcdWatch::operator=(EtcdWatch&&) noexcept = default;
EtcdWatch::~EtcdWatch() = default;

Task<EtcdResult<WatchBatch>> EtcdWatch::next() { return next_batch(state_); }

std::int64_t EtcdWatch::start_revision() const noexcept {
  return state_ ? state_->start_revision : 0;
}

Task<EtcdResult<EtcdWatch>> EtcdWatch::open(std::shared_ptr<EtcdSession> session,
                                            std::string prefix, std::int64_t start_revision) {
  const Instant deadline = Clock::now() + session->options().call_timeout;
  const CallDeadline login_deadline = session->deadline();
  const KeyRange range = prefix_range(std::move(prefix));
  std::size_t tries = 0;
  bool renewed = false;
  while (true) {
    EtcdSession::Token token = session->token();
    if (session->authenticates() && token.generation == 0) {
      EtcdResult<void> login = co_await EtcdSession::authenticate(session, 0, login_deadline);
      if (!login) co_return unexpected(login.error());
      token = session->token();
    }
    auto s = std::make_shared<State>();
    s->session = session;
    s->endpoint = session->current();
    s->start_revision = start_revision;
    EtcdSession::Endpoint& e = session->endpoint(s->endpoint);
    s->call = std::make_unique<WatchCall>(*session, s->endpoint, &open_watch, token.value);
    etcdserverpb::WatchRequest request;
    auto* create = request.mutable_create_request();
    create->set_key(range.key);
    create->set_range_end(range.range_end);
    create->set_start_revision(start_revision);
    s->call->start_write(std::move(request));
    s->call->start_read();

    auto confirmed = co_await select(s->call->reads().next(), sleep_until(deadline));
    if (confirmed.index() == 1) {
      session->failed(s->endpoint);
      (void)co_await s->call->finish();
      co_return unexpected(EtcdError(grpc::StatusCode::DEADLINE_EXCEEDED,
                                     "etcd did not confirm the watch in time", "watch", e.address));
    }
    std::optional<EtcdError> failed;
    if (!std::get<0>(confirmed).value_or(false)) {
      grpc::Status status = co_await s->call->finish();
      failed = stream_error(status, *s);
    } else if (std::optional<EtcdError> ended = ended_by_etcd(s->call->received(), *s)) {
      (void)co_await s->call->finish();
      failed = std::move(ended);
    }
    if (failed) {
      // A watch refused for its token (in a status, or in the reason etcd
      // gives for cancelling it) is tried once more with a new one.
      if (session->authenticates() && !renewed && is_auth_failure(*failed)) {
        renewed = true;
        EtcdResult<void> login =
            co_await EtcdSession::authenticate(session, token.generation, login_deadline);
        if (!login) co_return unexpected(login.error());
        continue;
      }
      if (failed->code() == grpc::StatusCode::UNAVAILABLE && ++tries < session->endpoint_count() &&
          Clock::now() < deadline)
        continue;
      co_return unexpected(std::move(*failed));
    }
    const etcdserverpb::WatchResponse& r = s->call->received();
    // etcd confirms before it sends events; should some come with it, keep them.
    if (r.events_size() > 0) s->first = to_batch(r);
    co_return EtcdWatch(std::move(s));
  }
}

}  // namespace troupe::cluster::detail
