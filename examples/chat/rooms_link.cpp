#include "chat/rooms_link.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include <troupe/runtime/sleep.hpp>

#include "chat.pb.h"
#include "chat/registry.hpp"

namespace chat {

troupe::Task<troupe::ActorRef<Registry>> attach_rooms(ServerContext& ctx,
                                                      troupe::remote::Node& node,
                                                      std::string address,
                                                      troupe::Duration timeout) {
  auto registry = co_await node.lookup<Registry>(std::move(address), "chat.registry", timeout);
  if (!registry) co_return troupe::ActorRef<Registry>();
  ctx.directory.use_rooms_at(node, *registry);
  v1::ConnectionsAttached attached;
  attached.set_node(node.name());
  attached.set_incarnation(node.incarnation());
  // Ahead of every session's SessionOpened: the same outbox, in order.
  registry->tell(attached);
  co_return *registry;
}

RoomsLink::RoomsLink(std::shared_ptr<ServerContext> ctx, troupe::remote::Node* node,
                     std::string address, troupe::Duration timeout)
    : ctx_(std::move(ctx)), node_(node), address_(std::move(address)), timeout_(timeout) {}

void RoomsLink::on_start() {
  if (auto registry = ctx_->directory.registry()) watch(registry);
}

void RoomsLink::watch(const troupe::ActorRef<Registry>& registry) {
  watched_node_ = registry.incarnation();
  watched_ = registry.id();
  monitor(registry);
}

void RoomsLink::handle(const troupe::Down& m) {
  if (m.node != watched_node_ || m.actor != watched_) return;
  ctx_->directory.lose_rooms();
  v1::SessionEvent bye;
  bye.mutable_disconnect()->set_reason("Lost the rooms node");
  for (const SessionAddress& session : ctx_->directory.sessions_here())
    session.tell(v1::SessionEvent(bye));
  self().tell(Reattach{});
}

troupe::Task<void> RoomsLink::handle(Reattach) {
  // Again until it answers: a rooms node that restarts takes its time.
  troupe::Duration pause = std::chrono::milliseconds(100);
  for (;;) {
    auto registry = co_await attach_rooms(*ctx_, *node_, address_, timeout_);
    if (registry) {
      watch(registry);
      co_return;
    }
    co_await troupe::sleep_for(pause);
    pause = std::min<troupe::Duration>(pause * 2, std::chrono::seconds(5));
  }
}

}  // namespace chat
