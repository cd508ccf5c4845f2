#include <algorithm>
#include <deque>
#include <optional>
#include <utility>
#include <variant>

#include <troupe/cluster/detail/etcd_session.hpp>
#include <troupe/cluster/detail/lease_keeper.hpp>
#include <troupe/cluster/detail/stream_call.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/spawn.hpp>

namespace troupe::cluster::detail {

namespace {

using namespace std::chrono_literals;
using KeepAliveCall =
    StreamCall<etcdserverpb::LeaseKeepAliveRequest, etcdserverpb::LeaseKeepAliveResponse>;

void open_keep_alive(EtcdSession::Endpoint& e, grpc::ClientContext* context,
                     grpc::ClientBidiReactor<etcdserverpb::LeaseKeepAliveRequest,
                                             etcdserverpb::LeaseKeepAliveResponse>* r) {
  e.lease->async()->LeaseKeepAlive(context, r);
}

Clock::rep encode(Instant t) noexcept { return t.time_since_epoch().count(); }

struct Timing {
  Duration interval;
  Duration margin;
};

Timing timing_of(const LeaseGrant& g, const LeaseKeeperOptions& o) {
  const Duration ttl = g.ttl;
  Timing t;
  t.interval = o.interval > Duration::zero() ? o.interval : ttl / 3;
  t.margin = o.margin > Duration::zero() ? o.margin : std::max<Duration>(ttl / 5, 100ms);
  t.interval = std::max<Duration>(t.interval, 10ms);
  return t;
}

std::string lease_name(LeaseId id) { return "lease " + std::to_string(id); }

// The keeper's task. One loop, one select per turn: a stop request, a
// keep-alive answer, a write done, or the next timer (send, reopen, or
// the deadline). `deadline` only moves forward, and only on an answer:
// the send time of the keep-alive answered plus the TTL etcd gave it,
// less the margin.
Task<void> keep_lease(std::shared_ptr<EtcdSession> session, LeaseGrant grant, Timing t,
                      std::shared_ptr<LeaseKeeper::Shared> shared, MpscSender<LeaseEvent> events,
                      MpscReceiver<bool> stop) {
  Instant renewed_at = grant.sent_at;
  Instant deadline = renewed_at + grant.ttl - t.margin;
  std::unique_ptr<KeepAliveCall> call;
  std::size_t endpoint = 0;
  // Send times of the keep-alives awaiting their answer, oldest first
  // (etcd answers a stream's keep-alives in order).
  std::deque<Instant> sent;
  bool reading = false;
  bool writing = false;
  bool confirmed = false;
  bool login = false;  // etcd refused the token: log in again before reopening
  Instant next_send = Clock::now();
  Instant reopen_at = next_send;
  Duration backoff = 50ms;
  std::string why = "etcd confirmed no keep-alive in time";
  std::optional<LeaseEvent> last;

  if (grant.ttl <= Duration::zero())
    last = LeaseEvent{LeaseStatus::kExpired, deadline, renewed_at,
                      lease_name(grant.id) + " was granted no time to live"};
  while (!last) {
    const Instant now = Clock::now();
    if (now >= deadline) {
      last = LeaseEvent{LeaseStatus::kLost, deadline, renewed_at, why};
      break;
    }
    if (!call && now >= reopen_at) {
      if (login || (session->authenticates() && session->token().generation == 0)) {
        const std::uint64_t stale = session->token().generation;
        auto r = co_await select(EtcdSession::authenticate(session, stale, session->deadline()),
                                 sleep_until(deadline));
        if (r.index() == 1) continue;
        const EtcdResult<void>& logged_in = std::get<0>(r);
        if (!logged_in) {
          why = logged_in.error().message();
          reopen_at = Clock::now() + backoff;
          backoff = std::min<Duration>(backoff * 2, t.interval);
          continue;
        }
        login = false;
      }
      endpoint = session->current();
      call = std::make_unique<KeepAliveCall>(*session, endpoint, &open_keep_alive,
                                             session->token().value);
      sent.clear();
      reading = false;
      writing = false;
      next_send = now;
    }
    if (call && !reading) {
      call->start_read();
      reading = true;
    }
    if (call && !writing && now >= next_send) {
      etcdserverpb::LeaseKeepAliveRequest request;
      request.set_id(grant.id);
      sent.push_back(Clock::now());
      call->start_write(std::move(request));
      writing = true;
      next_send = now + t.interval;
    }

    Instant wake = deadline;
    if (!call) {
      wake = std::min(wake, reopen_at);
    } else if (!writing) {
      wake = std::min(wake, next_send);
    }
    if (!call) {
      auto r = co_await select(stop.next(), sleep_until(wake));
      if (r.index() == 0) break;
      continue;
    }

    auto r = co_await select(stop.next(), call->reads().next(), call->writes().next(),
                             sleep_until(wake));
    if (r.index() == 0) break;
    if (r.index() == 3) continue;
    bool broken = false;
    if (r.index() == 1) {
      reading = false;
      broken = !std::get<1>(r).value_or(false);
      if (!broken) {
        const etcdserverpb::LeaseKeepAliveResponse& answer = call->received();
        if (answer.ttl() <= 0) {
          last = LeaseEvent{LeaseStatus::kExpired, deadline, renewed_at,
                            "etcd says " + lease_name(grant.id) + " expired or was revoked"};
          break;
        }
        if (!sent.empty()) {
          const Instant at = sent.front();
          sent.pop_front();
          const Instant until = at + std::chrono::seconds(answer.ttl()) - t.margin;
          if (until > deadline) deadline = until;
          if (at > renewed_at) renewed_at = at;
          shared->valid_until.store(encode(deadline), std::memory_order_release);
          backoff = 50ms;
          if (!confirmed) {
            confirmed = true;
            (void)events.try_send(LeaseEvent{LeaseStatus::kAlive, deadline, renewed_at, {}});
          }
        }
      }
    } else {
      writing = false;
      broken = !std::get<2>(r).value_or(false);
    }
    if (!broken) continue;

    // The stream is over: learn why (within the deadline), then reopen.
    auto ended = co_await select(call->finish(), sleep_until(deadline));
    if (ended.index() == 0) {
      const grpc::Status& status = std::get<0>(ended);
      EtcdError error(status.error_code(), status.error_message(),
                      "keep-alive of " + lease_name(grant.id), session->endpoint(endpoint).address);
      if (status.ok())
        error = EtcdError(grpc::StatusCode::UNAVAILABLE, "etcd ended the keep-alive stream",
                          error.operation(), error.endpoint());
      if (error.is_unreachable()) session->failed(endpoint);
      if (session->authenticates() && is_auth_failure(error)) login = true;
      why = error.message();
    }
    call.reset();
    sent.clear();
    reading = false;
    writing = false;
    reopen_at = Clock::now() + backoff;
    backoff = std::min<Duration>(backoff * 2, t.interval);
  }

  shared->valid_until.store(encode(Instant::min()), std::memory_order_release);
  call.reset();  // cancels the stream; gRPC finishes it on its own
  if (last) (void)events.try_send(std::move(*last));
}

}  // namespace

LeaseKeeper::LeaseKeeper(std::shared_ptr<EtcdSession> session, LeaseGrant grant,
                         LeaseKeeperOptions options)
    : grant_(grant), shared_(std::make_shared<Shared>()) {
  const Timing t = timing_of(grant, options);
  shared_->valid_until.store(encode(grant.sent_at + grant.ttl - t.margin));
  auto events = channel::mpsc::unbounded<LeaseEvent>();
  auto stop = channel::mpsc::unbounded<bool>();
  events_ = std::move(events.second);
  stop_ = std::move(stop.first);
  task_ = spawn(keep_lease(std::move(session), grant, t, shared_, std::move(events.first),
                           std::move(stop.second)));
}

LeaseKeeper& LeaseKeeper::operator=(LeaseKeeper&& other) noexcept {
  if (this != &other) {
    stop();
    if (shared_) task_.cancel();
    grant_ = other.grant_;
    shared_ = std::move(other.shared_);
    events_ = std::move(other.events_);
    stop_ = std::move(other.stop_);
    task_ = std::move(other.task_);
  }
  return *this;
}

LeaseKeeper::~LeaseKeeper() {
  if (!shared_) return;  // moved from
  stop();
  task_.cancel();
}

Instant LeaseKeeper::valid_until() const noexcept {
  if (!shared_ || shared_->stopped.load(std::memory_order_acquire)) return Instant::min();
  return Instant(Duration(shared_->valid_until.load(std::memory_order_acquire)));
}

void LeaseKeeper::stop() noexcept {
  if (!shared_) return;
  shared_->stopped.store(true, std::memory_order_release);
  stop_.close();
}

}  // namespace troupe::cluster::detail
