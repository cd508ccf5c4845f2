#include "chat/registry.hpp"

#include <utility>

#include <troupe/cluster/cluster.hpp>

#include "chat/events.hpp"
#include "chat/irc_message.hpp"
#include "chat/numerics.hpp"
#include "chat/room.hpp"

namespace chat {

namespace {

// What the registry forwards to a room: the sender as its table knows it,
// and no origin (from this process: the room believes it).
template <class M>
M vouched(const M& m, const v1::User& user) {
  M out = m;
  if constexpr (requires { out.mutable_from(); }) {
    *out.mutable_from() = user;
  } else {
    *out.mutable_user() = user;
  }
  out.clear_origin();
  return out;
}

}  // namespace

Registry::Registry(std::shared_ptr<ServerContext> ctx) : ctx_(std::move(ctx)) {}

troupe::SupervisorStrategy Registry::supervisor_strategy() {
  return troupe::SupervisorStrategy::one_for_one().with_decider(
      [](const std::exception_ptr&) { return troupe::Directive::kStop; });
}

void Registry::handle(const v1::SessionOpened& m) {
  // The acceptor of this process announces its sessions; a connections
  // node announces its own, and only the attached one may.
  const troupe::v1::Origin& origin = m.origin();
  SessionAddress address = ctx_->directory.session_of(m.session(), origin);
  if (!address) {
    if (!origin.node().empty())
      refuse("SessionOpened", origin, "not the attached connections node");
    return;  // a local one: gone already
  }
  if (sessions_.contains(m.session())) {
    if (!origin.node().empty()) refuse("SessionOpened", origin, "a session id already known");
    return;
  }
  monitor(address);
  v1::User user;
  user.set_session(m.session());
  user.set_host(m.host());
  sessions_.emplace(m.session(), Known{std::move(user), std::move(address)});
}

void Registry::handle(const v1::ConnectionsAttached& m) {
  using Attach = Directory::Attach;
  switch (ctx_->directory.attach_connections(m)) {
    case Attach::kAccepted:
      // Sessions of an earlier incarnation (or of a node gone before) are
      // unreachable now: their nicks are free.
      forget_remote_except(m.incarnation());
      return;
    case Attach::kNotFromThatNode:
      refuse("ConnectionsAttached", m.origin(),
             "it names node " + irc::printable(m.node(), 64) + " (incarnation " +
                 std::to_string(m.incarnation()) + "), not the node it came from");
      return;
    case Attach::kTaken:
      refuse("ConnectionsAttached", m.origin(), "another connections node is attached");
      return;
    case Attach::kNotRoomsNode:
      refuse("ConnectionsAttached", m.origin(), "this is not the rooms node of a split server");
      return;
  }
}

Registry::Known* Registry::sender(std::uint64_t session, const troupe::v1::Origin& origin,
                                  std::string_view what) {
  auto it = sessions_.find(session);
  if (it != sessions_.end() && lives_on(it->second.address, origin)) return &it->second;
  // From this process: a session that is gone already. From the attached
  // connections node, for a session it no longer has: its Down overtook its
  // last messages. Neither is refused.
  const bool late =
      origin.node().empty() || (it == sessions_.end() && ctx_->directory.from_connections(origin));
  if (!late) {
    refuse(what, origin,
           it == sessions_.end()
               ? "session " + std::to_string(session) + " is not of the attached connections node"
               : "session " + std::to_string(session) + " lives elsewhere");
  }
  return nullptr;
}

void Registry::refuse(std::string_view what, const troupe::v1::Origin& origin,
                      const std::string& why) {
  ctx_->refusals.refuse(what, "from " + describe(origin) + ": " + why);
}

// A coroutine handler: in a chat cluster the nick is claimed cluster-wide
// (in etcd) before it is taken here. Nothing else runs meanwhile, so the
// tables cannot change under it.
troupe::Task<v1::NickReply> Registry::handle(v1::ClaimNick m) {
  v1::NickReply reply;
  reply.set_status(v1::NickReply::IN_USE);
  const std::uint64_t id = m.user().session();
  Known* known = sender(id, m.origin(), "ClaimNick");
  if (!known) co_return reply;  // gone (or not its to claim): nothing to keep the nick for
  if (!irc::valid_nick(m.user().nick())) {  // sessions check it; another node must not skip it
    refuse("ClaimNick", m.origin(), "not a valid nick");
    co_return reply;
  }
  const std::string key = irc::fold_case(m.user().nick());
  if (auto owner = nicks_.find(key); owner != nicks_.end() && owner->second != id) co_return reply;
  const std::string old = known->user.nick().empty() ? "" : irc::fold_case(known->user.nick());
  if (auto* cluster = ctx_->directory.cluster(); cluster && key != old) {
    const bool claimed = co_await cluster->register_name(nick_name(key), known->address);
    if (!claimed) co_return reply;  // another node's session has it
    if (!old.empty()) (void)co_await cluster->unregister_name(nick_name(old));
  }
  if (!old.empty()) nicks_.erase(old);
  known->user.set_nick(m.user().nick());
  nicks_[key] = id;
  reply.set_status(v1::NickReply::OK);
  co_return reply;
}

void Registry::handle(const v1::Identify& m) {
  // Only the USER details: the id, the host and the nick are the table's.
  if (Known* known = sender(m.user().session(), m.origin(), "Identify")) {
    if (!irc::one_line(m.user().user()) || !irc::one_line(m.user().realname())) {
      refuse("Identify", m.origin(), "a line break or NUL in the USER details");
      return;
    }
    known->user.set_user(m.user().user());
    known->user.set_realname(m.user().realname());
  }
}

void Registry::handle(const v1::SessionClosed& m) {
  if (sender(m.session(), m.origin(), "SessionClosed")) forget(m.session());
}

void Registry::forget(std::uint64_t session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  // A cluster-wide nick is freed by the session's stopping (or its node's leaving).
  if (!it->second.user.nick().empty()) nicks_.erase(irc::fold_case(it->second.user.nick()));
  sessions_.erase(it);
  for (auto& [channel, members] : cluster_members_) members.erase(session);
}

void Registry::forget_remote_except(std::uint64_t keep) {
  std::vector<std::uint64_t> gone;
  for (const auto& [id, known] : sessions_) {
    if (known.address.is_remote() && known.address.incarnation() != keep) gone.push_back(id);
  }
  for (const std::uint64_t id : gone) forget(id);
}

void Registry::handle(const v1::Join& m) {
  const Known* from = sender(m.user().session(), m.origin(), "Join");
  if (!from) return;
  if (!irc::valid_channel(m.channel())) {
    refuse("Join", m.origin(), "not a valid channel name");
    return;
  }
  const std::string key = irc::fold_case(m.channel());
  if (ctx_->directory.in_cluster()) {
    cluster_room(key).tell(vouched(m, from->user));
    joined_cluster_room(key, from->user.session());
    return;
  }
  auto it = rooms_.find(key);
  if (it == rooms_.end()) {
    RoomEntry entry;
    entry.channel = m.channel();
    entry.name = "chat.room." + std::to_string(next_room_++);
    entry.ref = spawn<Room>(ctx_, entry.channel, entry.name);
    // Registered before any Join reaches it, so that every session it
    // answers can find it by name.
    ctx_->directory.add_room(entry.name, entry.ref);
    monitor(entry.ref);
    room_ids_.emplace(entry.ref.id(), key);
    it = rooms_.emplace(key, std::move(entry)).first;
  }
  ++it->second.joins_forwarded;
  it->second.ref.tell(vouched(m, from->user));
}

void Registry::handle(const v1::RoomState& m) {
  auto it = rooms_.find(irc::fold_case(m.channel()));
  if (it == rooms_.end() || it->second.name != m.room()) return;  // an older room's news
  RoomEntry& room = it->second;
  room.members = m.members();
  room.topic = m.topic();
  // Empty, and no Join on its way to it: nobody can reach it any more.
  if (room.members == 0 && m.joins_seen() == room.joins_forwarded) {
    room_ids_.erase(room.ref.id());
    room.ref.stop_gracefully();
    rooms_.erase(it);
  }
}

troupe::Task<v1::ChannelList> Registry::handle(v1::ListChannels m) {
  v1::ChannelList out;
  if (auto* cluster = ctx_->directory.cluster()) {
    // The channels active anywhere, each asked for its members and topic.
    std::vector<std::string> names;
    if (m.channels_size() == 0) {
      names = co_await cluster->identities(Directory::kChannelKind);
    } else {
      for (const std::string& c : m.channels()) names.push_back(irc::fold_case(c));
    }
    std::vector<troupe::AskFuture<v1::ChannelInfo>> asks;
    for (const auto& name : names) {
      asks.push_back(cluster_room(name).ask(v1::RoomInfo{}, ctx_->options.ask_timeout));
    }
    for (auto& a : asks) {
      auto info = co_await std::move(a);
      if (info && info->members() > 0) *out.add_channels() = std::move(*info);
    }
    co_return out;
  }
  auto add = [&out](const RoomEntry& r) {
    auto* info = out.add_channels();
    info->set_name(r.channel);
    info->set_members(r.members);
    info->set_topic(r.topic);
  };
  if (m.channels_size() == 0) {
    for (const auto& [key, room] : rooms_) {
      if (room.members > 0) add(room);
    }
  } else {
    for (const std::string& channel : m.channels()) {
      if (RoomEntry* room = find_room(channel); room && room->members > 0) add(*room);
    }
  }
  co_return out;
}

// A coroutine handler: in a chat cluster, a nick of another node is looked
// up in etcd.
troupe::Task<void> Registry::handle(v1::Post m) {
  const Known* from = sender(m.from().session(), m.origin(), "Post");
  if (!from) co_return;
  if (!irc::one_line(m.text())) {
    refuse("Post", m.origin(), "a line break or NUL in the text");
    co_return;
  }
  const v1::User u = from->user;  // who sent it: the table says, not the message
  const std::string& target = m.target();
  auto* cluster = ctx_->directory.cluster();
  if (irc::is_channel(target)) {
    if (cluster) {
      cluster_room(irc::fold_case(target)).tell(vouched(m, u));
    } else if (RoomEntry* room = find_room(target)) {
      room->ref.tell(vouched(m, u));
    } else if (!m.notice()) {
      tell_lines(u.session(), {numerics::no_such_nick(server(), u.nick(), irc::printable(target))});
    }
    co_return;
  }
  // Addressed to the nick as its owner spells it (known here), or as the
  // sender did (a session of another node of a cluster).
  const auto line_to = [&](const std::string& nick) {
    return deliver(irc::format(irc::user_mask(u.nick(), u.user(), u.host()),
                               m.notice() ? "NOTICE" : "PRIVMSG", {nick}, m.text()));
  };
  const std::string key = irc::fold_case(target);
  if (auto owner = nicks_.find(key); owner != nicks_.end()) {
    const Known& to = sessions_.at(owner->second);
    to.address.tell(line_to(to.user.nick()));
    co_return;
  }
  if (cluster) {
    auto to = co_await cluster->lookup_address<v1::SessionEvent>(nick_name(key));
    if (to) {
      to->tell(line_to(target));
      co_return;
    }
  }
  if (!m.notice()) {
    tell_lines(u.session(), {numerics::no_such_nick(server(), u.nick(), irc::printable(target))});
  }
}

void Registry::handle(const v1::Part& m) {
  const Known* from = sender(m.user().session(), m.origin(), "Part");
  if (!from) return;
  if (!irc::one_line(m.reason())) {
    refuse("Part", m.origin(), "a line break or NUL in the reason");
    return;
  }
  if (ctx_->directory.in_cluster()) {
    const std::string key = irc::fold_case(m.channel());
    cluster_room(key).tell(vouched(m, from->user));
    if (auto it = cluster_members_.find(key); it != cluster_members_.end()) {
      it->second.erase(from->user.session());
    }
  } else if (RoomEntry* room = find_room(m.channel())) {
    room->ref.tell(vouched(m, from->user));
  } else {
    tell_lines(from->user.session(), {numerics::no_such_channel(server(), from->user.nick(),
                                                                irc::printable(m.channel()))});
  }
}

void Registry::handle(const v1::Topic& m) {
  const Known* from = sender(m.user().session(), m.origin(), "Topic");
  if (!from) return;
  if (!irc::one_line(m.text())) {
    refuse("Topic", m.origin(), "a line break or NUL in the text");
    return;
  }
  if (ctx_->directory.in_cluster()) {
    cluster_room(irc::fold_case(m.channel())).tell(vouched(m, from->user));
  } else if (RoomEntry* room = find_room(m.channel())) {
    room->ref.tell(vouched(m, from->user));
  } else {
    tell_lines(from->user.session(), {numerics::no_such_channel(server(), from->user.nick(),
                                                                irc::printable(m.channel()))});
  }
}

void Registry::handle(const v1::Names& m) {
  const Known* from = sender(m.user().session(), m.origin(), "Names");
  if (!from) return;
  if (ctx_->directory.in_cluster()) {
    cluster_room(irc::fold_case(m.channel())).tell(vouched(m, from->user));
  } else if (RoomEntry* room = find_room(m.channel())) {
    room->ref.tell(vouched(m, from->user));
  } else {
    tell_lines(from->user.session(),
               {numerics::names_end(server(), from->user.nick(), irc::printable(m.channel()))});
  }
}

void Registry::handle(const v1::Who& m) {
  const Known* from = sender(m.user().session(), m.origin(), "Who");
  if (!from) return;
  const std::uint64_t asker = from->user.session();
  const std::string& nick = from->user.nick();
  const std::string& mask = m.mask();
  if (irc::is_channel(mask)) {
    if (ctx_->directory.in_cluster()) {
      cluster_room(irc::fold_case(mask)).tell(vouched(m, from->user));
      return;
    }
    if (RoomEntry* room = find_room(mask)) {
      room->ref.tell(vouched(m, from->user));
      return;
    }
  } else if (auto owner = nicks_.find(irc::fold_case(mask)); owner != nicks_.end()) {
    const v1::User& u = sessions_.at(owner->second).user;
    tell_lines(asker,
               {numerics::who_item(server(), nick, "*", u.user(), u.host(), u.nick(), u.realname()),
                numerics::who_end(server(), nick, u.nick())});
    return;
  }
  tell_lines(asker, {numerics::who_end(server(), nick, irc::printable(mask))});
}

void Registry::handle(const v1::ServerClosing& m) {
  // This process closing says goodbye to every session; a connections node
  // closing, to its own only.
  const troupe::v1::Origin& origin = m.origin();
  if (!origin.node().empty() && !ctx_->directory.from_connections(origin)) {
    refuse("ServerClosing", origin, "not the attached connections node");
    return;
  }
  for (const auto& [id, known] : sessions_) {
    if (!origin.node().empty() && !lives_on(known.address, origin)) continue;
    v1::SessionEvent e;
    e.mutable_disconnect()->set_reason(m.reason());
    known.address.tell(std::move(e));
  }
}

void Registry::handle(const troupe::Down& m) {
  if (auto channel = watched_channels_.find(m.actor);
      m.node == 0 && channel != watched_channels_.end()) {
    // A channel's activation stopped (its node was lost, or it was idle):
    // this node's members go into the next one, which this makes.
    const std::string key = std::move(channel->second);
    watched_channels_.erase(channel);
    rejoin(key);
    return;
  }
  if (m.node == 0) {
    if (auto room = room_ids_.find(m.actor); room != room_ids_.end()) {
      rooms_.erase(room->second);
      room_ids_.erase(room);
      return;
    }
  }
  // A session, here or on a connections node (gone, or its node lost): its
  // nick is free. Only if it is that one: a session of another node may
  // have the same number.
  if (auto it = sessions_.find(m.actor);
      it != sessions_.end() && it->second.address.incarnation() == m.node) {
    forget(m.actor);
  }
}

troupe::ActorRef<Room> Registry::cluster_room(const std::string& channel) const {
  return ctx_->directory.cluster()->get<Room>(Directory::kChannelKind, channel);
}

void Registry::joined_cluster_room(const std::string& channel, std::uint64_t session) {
  cluster_members_[channel].insert(session);
  auto room = cluster_room(channel);
  if (watched_channels_.emplace(room.id(), channel).second) monitor(room);
}

void Registry::rejoin(const std::string& channel) {
  auto it = cluster_members_.find(channel);
  if (it == cluster_members_.end()) return;
  std::erase_if(it->second, [this](std::uint64_t s) { return !sessions_.contains(s); });
  if (it->second.empty()) {
    cluster_members_.erase(it);
    return;
  }
  auto room = cluster_room(channel);
  for (const std::uint64_t session : it->second) {
    v1::Join join;
    *join.mutable_user() = sessions_.at(session).user;
    join.set_channel(channel);
    join.set_rejoin(true);
    room.tell(std::move(join));
  }
  if (watched_channels_.emplace(room.id(), channel).second) monitor(room);
}

Registry::RoomEntry* Registry::find_room(const std::string& channel) {
  auto it = rooms_.find(irc::fold_case(channel));
  return it == rooms_.end() ? nullptr : &it->second;
}

void Registry::tell_lines(std::uint64_t session, std::vector<std::string> lines) {
  auto it = sessions_.find(session);
  if (it != sessions_.end()) {
    it->second.address.tell(deliver(lines));
  } else if (SessionAddress a = ctx_->directory.session(session)) {
    a.tell(deliver(lines));
  }
}

}  // namespace chat
