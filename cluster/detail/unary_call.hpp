#pragma once

// Internal to the cluster module's sources (see etcd_session.hpp).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <troupe/channels/mpsc.hpp>
#include <troupe/cluster/detail/etcd_session.hpp>
#include <troupe/runtime/task.hpp>

namespace troupe::cluster::detail {

/// Starts one unary call of the callback API on an endpoint's stub, e.g.
/// `e.kv->async()->Range(context, request, response, std::move(done))`.
template <class Req, class Resp>
using UnaryRpc = void (*)(EtcdSession::Endpoint& e, grpc::ClientContext* context,
                          const Req* request, Resp* response,
                          std::function<void(grpc::Status)> done);

/// How a unary call ended: gRPC's status and, if it is OK, the response.
template <class Resp>
struct UnaryOutcome {
  grpc::Status status;
  Resp response;
};

/// The buffers of one unary call. gRPC writes into them from its own
/// threads until it calls back, so they are shared by the awaiting task
/// and the callback, and outlive whichever of them ends first (which may
/// be the callback: the ticket keeps the session's channels alive until
/// the context is gone, see CallTracker).
template <class Req, class Resp>
struct UnaryCallState {
  CallTracker::Ticket ticket;  // first: destroyed after the context
  grpc::ClientContext context;
  Req request;
  Resp response;
};

/// One attempt of a unary call on the session's endpoint `endpoint`,
/// bridged into the task: the
/// callback (a gRPC thread) only pushes the status into a channel, which
/// wakes the task. gRPC enforces the deadline, so the callback always comes.
/// If the awaiting task is cancelled, the call is cancelled too and its
/// buffers stay alive until gRPC calls back.
template <class Req, class Resp>
Task<UnaryOutcome<Resp>> unary_call(EtcdSession& s, std::size_t endpoint, UnaryRpc<Req, Resp> rpc,
                                    Req request, CallDeadline deadline, std::string token) {
  auto state = std::make_shared<UnaryCallState<Req, Resp>>();
  state->ticket = s.track();
  state->request = std::move(request);
  state->context.set_deadline(deadline);
  if (!token.empty()) state->context.AddMetadata("token", token);
  auto pipe = channel::mpsc::unbounded<grpc::Status>();
  MpscSender<grpc::Status> done = std::move(pipe.first);
  MpscReceiver<grpc::Status> outcome = std::move(pipe.second);

  struct CancelUnlessDone {
    grpc::ClientContext& context;
    bool done = false;
    ~CancelUnlessDone() {
      if (!done) context.TryCancel();
    }
  } guard{state->context};

  rpc(s.endpoint(endpoint), &state->context, &state->request, &state->response,
      [state, done](grpc::Status status) { (void)done.try_send(std::move(status)); });
  std::optional<grpc::Status> status = co_await outcome.next();
  guard.done = true;
  UnaryOutcome<Resp> result;
  if (!status) {
    result.status = grpc::Status(grpc::StatusCode::INTERNAL, "gRPC dropped the call's callback");
    co_return result;
  }
  result.status = std::move(*status);
  if (result.status.ok()) result.response = std::move(state->response);
  co_return result;
}

/// Whether a failed call may be sent again to another endpoint.
enum class Retry {
  kIfUnavailable,  // reads and other calls that may safely be applied twice
  kIfNeverSent,    // writes: only when gRPC never reached etcd
};

/// A unary call as the client makes it: with the auth token (logging in
/// first, and once more if etcd rejects the token), moving to the next
/// endpoint when one is unreachable (and sending again if `retry` allows),
/// all within one deadline. `operation` names the call in errors.
template <class Req, class Resp>
Task<EtcdResult<Resp>> etcd_call(std::shared_ptr<EtcdSession> s, std::string operation,
                                 UnaryRpc<Req, Resp> rpc, Req request, Retry retry) {
  const CallDeadline deadline = s->deadline();
  std::size_t tries = 0;
  bool renewed = false;
  while (true) {
    EtcdSession::Token token = s->token();
    if (s->authenticates() && token.generation == 0) {
      EtcdResult<void> login = co_await EtcdSession::authenticate(s, 0, deadline);
      if (!login) co_return unexpected(login.error());
      token = s->token();
    }
    const std::size_t i = s->current();
    EtcdSession::Endpoint& e = s->endpoint(i);
    UnaryOutcome<Resp> out =
        co_await unary_call<Req, Resp>(*s, i, rpc, request, deadline, token.value);
    if (out.status.ok()) co_return std::move(out.response);
    EtcdError error(out.status.error_code(), out.status.error_message(), operation, e.address);
    if (s->authenticates() && !renewed && is_auth_failure(error)) {
      renewed = true;
      EtcdResult<void> login = co_await EtcdSession::authenticate(s, token.generation, deadline);
      if (!login) co_return unexpected(login.error());
      continue;
    }
    if (error.is_unreachable()) {
      s->failed(i);
      ++tries;
      const bool may_resend = retry == Retry::kIfUnavailable
                                  ? error.code() == grpc::StatusCode::UNAVAILABLE
                                  : never_sent(error);
      if (may_resend && tries < s->endpoint_count() && std::chrono::system_clock::now() < deadline)
        continue;
    }
    co_return unexpected(std::move(error));
  }
}

}  // namespace troupe::cluster::detail
