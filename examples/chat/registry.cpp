#include "chat/registry.hpp"

#include <utility>

#include "chat/events.hpp"
#include "chat/irc_message.hpp"
#include "chat/numerics.hpp"
#include "chat/room.hpp"

namespace chat {

namespace {}  // namespace

Registry::Registry(std::shared_ptr<ServerContext> ctx) : ctx_(std::move(ctx)) {}

troupe::SupervisorStrategy Registry::supervisor_strategy() {
  return troupe::SupervisorStrategy::one_for_one().with_decider(
      [](const std::exception_ptr&) { return troupe::Directive::kStop; });
}

void Registry::handle(const v1::SessionOpened& m) {
  SessionLink address = ctx_->directory.session(m.session());
  if (!address) return;  // gone already
  watch(address);
  v1::User user;
  user.set_session(m.session());
  user.set_host(m.host());
  sessions_.emplace(m.session(), Known{std::move(user), std::move(address)});
}

void Registry::handle(const v1::ConnectionsAttached& m) { ctx_->directory.attach_connections(m); }

void Registry::watch(const SessionLink& session) {
  if (!session.is_remote()) {
    monitor(session.local().ref());
  } else if (!hub_monitored_) {
    hub_monitored_ = true;
    session.hub().monitor(self());
  }
}

v1::NickReply Registry::handle(const v1::ClaimNick& m) {
  v1::NickReply reply;
  reply.set_status(v1::NickReply::IN_USE);
  const std::uint64_t id = m.user().session();
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return reply;  // gone: nothing to keep the nick for
  const std::string key = irc::fold_case(m.user().nick());
  if (auto owner = nicks_.find(key); owner != nicks_.end() && owner->second != id) return reply;
  if (!it->second.user.nick().empty()) nicks_.erase(irc::fold_case(it->second.user.nick()));
  it->second.user.set_nick(m.user().nick());
  nicks_[key] = id;
  reply.set_status(v1::NickReply::OK);
  return reply;
}

void Registry::handle(const v1::Identify& m) {
  auto it = sessions_.find(m.user().session());
  if (it != sessions_.end()) it->second.user = m.user();
}

void Registry::handle(const v1::SessionClosed& m) { forget(m.session()); }

void Registry::forget(std::uint64_t session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (!it->second.user.nick().empty()) nicks_.erase(irc::fold_case(it->second.user.nick()));
  sessions_.erase(it);
}

void Registry::handle(const v1::Join& m) {
  const std::string key = irc::fold_case(m.channel());
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
  it->second.ref.tell(m);
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

v1::ChannelList Registry::handle(const v1::ListChannels& m) {
  v1::ChannelList out;
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
  return out;
}

void Registry::handle(const v1::Post& m) {
  const std::string& target = m.target();
  const std::uint64_t from = m.from().session();
  if (irc::is_channel(target)) {
    if (RoomEntry* room = find_room(target)) {
      room->ref.tell(m);
    } else if (!m.notice()) {
      tell_lines(from, {numerics::no_such_nick(server(), m.from().nick(), irc::printable(target))});
    }
    return;
  }
  auto owner = nicks_.find(irc::fold_case(target));
  if (owner == nicks_.end()) {
    if (!m.notice()) {
      tell_lines(from, {numerics::no_such_nick(server(), m.from().nick(), irc::printable(target))});
    }
    return;
  }
  const Known& to = sessions_.at(owner->second);
  const v1::User& u = m.from();
  to.address.tell(
      deliver(irc::format(irc::user_mask(u.nick(), u.user(), u.host()),
                          m.notice() ? "NOTICE" : "PRIVMSG", {to.user.nick()}, m.text())));
}

void Registry::handle(const v1::Part& m) {
  if (RoomEntry* room = find_room(m.channel())) {
    room->ref.tell(m);
  } else {
    tell_lines(m.user().session(),
               {numerics::no_such_channel(server(), m.user().nick(), irc::printable(m.channel()))});
  }
}

void Registry::handle(const v1::Topic& m) {
  if (RoomEntry* room = find_room(m.channel())) {
    room->ref.tell(m);
  } else {
    tell_lines(m.user().session(),
               {numerics::no_such_channel(server(), m.user().nick(), irc::printable(m.channel()))});
  }
}

void Registry::handle(const v1::Names& m) {
  if (RoomEntry* room = find_room(m.channel())) {
    room->ref.tell(m);
  } else {
    tell_lines(m.user().session(),
               {numerics::names_end(server(), m.user().nick(), irc::printable(m.channel()))});
  }
}

void Registry::handle(const v1::Who& m) {
  const std::string& mask = m.mask();
  if (irc::is_channel(mask)) {
    if (RoomEntry* room = find_room(mask)) {
      room->ref.tell(m);
      return;
    }
  } else if (auto owner = nicks_.find(irc::fold_case(mask)); owner != nicks_.end()) {
    const v1::User& u = sessions_.at(owner->second).user;
    tell_lines(m.user().session(), {numerics::who_item(server(), m.user().nick(), "*", u.user(),
                                                       u.host(), u.nick(), u.realname()),
                                    numerics::who_end(server(), m.user().nick(), u.nick())});
    return;
  }
  tell_lines(m.user().session(),
             {numerics::who_end(server(), m.user().nick(), irc::printable(mask))});
}

void Registry::handle(const v1::ServerClosing& m) {
  for (const auto& [id, known] : sessions_) {
    v1::SessionEvent e;
    e.mutable_disconnect()->set_reason(m.reason());
    known.address.tell(std::move(e));
  }
}

void Registry::handle(const troupe::Down& m) {
  if (m.node != 0) {
    // The connections node is gone: free the nicks of its sessions.
    hub_monitored_ = false;
    std::vector<std::uint64_t> gone;
    for (const auto& [id, known] : sessions_)
      if (known.address.is_remote()) gone.push_back(id);
    for (const std::uint64_t id : gone) forget(id);
    return;
  }
  if (auto room = room_ids_.find(m.actor); room != room_ids_.end()) {
    rooms_.erase(room->second);
    room_ids_.erase(room);
    return;
  }
  forget(m.actor);  // a session: free its nick if it did not
}

Registry::RoomEntry* Registry::find_room(const std::string& channel) {
  auto it = rooms_.find(irc::fold_case(channel));
  return it == rooms_.end() ? nullptr : &it->second;
}

void Registry::tell_lines(std::uint64_t session, std::vector<std::string> lines) {
  auto it = sessions_.find(session);
  if (it != sessions_.end()) {
    it->second.address.tell(deliver(lines));
  } else if (SessionLink a = ctx_->directory.session(session)) {
    a.tell(deliver(lines));
  }
}

}  // namespace chat
