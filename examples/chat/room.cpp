#include "chat/room.hpp"

#include <algorithm>
#include <utility>

#include "chat/events.hpp"
#include "chat/irc_message.hpp"
#include "chat/numerics.hpp"
#include "chat/registry.hpp"

namespace chat {

namespace {

// Room for the 353 prefix (server, nick, channel) within 510 bytes.
constexpr std::size_t kNamesBytesPerLine = 400;

std::string mask_of(const v1::User& u) { return irc::user_mask(u.nick(), u.user(), u.host()); }

}  // namespace

Room::Room(std::shared_ptr<ServerContext> ctx, std::string channel, std::string name)
    : ctx_(std::move(ctx)),
      registry_(ctx_->directory.local_registry()),
      channel_(std::move(channel)),
      name_(std::move(name)) {}

Room::Room(std::string identity, std::shared_ptr<ServerContext> ctx)
    : ctx_(std::move(ctx)),
      channel_(identity),
      name_(std::string(kClusterNamePrefix) + std::move(identity)) {}

std::map<Room::Key, Room::Member>::const_iterator Room::find_member(
    std::uint64_t session, const troupe::v1::Origin& origin) const {
  if (!origin.node().empty()) return members_.find({origin.incarnation(), session});
  // From this process: a session here, or (a split server) the registry
  // vouching for a session of the connections node, the only other one.
  if (auto it = members_.find({0, session}); it != members_.end()) return it;
  return std::find_if(members_.begin(), members_.end(),
                      [session](const auto& kv) { return kv.first.second == session; });
}

std::optional<Room::Sender> Room::sender(std::uint64_t session, const troupe::v1::Origin& origin,
                                         std::string_view what) const {
  auto it = find_member(session, origin);
  const Member* member = it == members_.end() ? nullptr : &it->second;
  // From this process: the registry (which checked the sender and put its
  // own User in), or a session of this process.
  if (origin.node().empty()) return Sender{member};
  // From another node: a member must live there; a non-member (its lines
  // crossed its leaving) must at least be a session of that node.
  if (member ? lives_on(member->address, origin) : ctx_->directory.from_connections(origin)) {
    return Sender{member};
  }
  ctx_->refusals.refuse(
      what, "from " + describe(origin) + " to " + channel_ + ": session " +
                std::to_string(session) +
                (member ? " is a member on another node" : " is not of the connections node"));
  return std::nullopt;
}

bool Room::one_line(std::string_view text, const troupe::v1::Origin& origin,
                    std::string_view what) const {
  if (irc::one_line(text)) return true;
  ctx_->refusals.refuse(
      what, "from " + describe(origin) + " to " + channel_ + ": a line break or NUL in its text");
  return false;
}

void Room::handle(const v1::Join& m) {
  // On a split server only the registry here makes members, and forwards
  // with no origin. In a cluster each member's registry makes its own
  // sessions members (the origin says which node, and it proved itself).
  const bool cluster = ctx_->directory.in_cluster();
  if (!m.origin().node().empty() && !cluster) {
    ctx_->refusals.refuse("Join", "from " + describe(m.origin()) + " straight to " + channel_);
    return;
  }
  if (!irc::valid_channel(m.channel()) || irc::fold_case(m.channel()) != irc::fold_case(channel_)) {
    ctx_->refusals.refuse("Join", "from " + describe(m.origin()) + ": not " + channel_);
    return;
  }
  if (members_.empty() && cluster) channel_ = m.channel();  // as its first member spells it
  ++joins_seen_;
  const std::uint64_t id = m.user().session();
  SessionAddress address = ctx_->directory.session(id, m.origin());
  if (!address) {  // it left before its Join arrived
    report();
    return;
  }
  // A member of an earlier incarnation of the connections node (its Down
  // still on its way) is gone, and this is another session with the same
  // number.
  std::erase_if(members_, [&](const auto& kv) {
    return kv.first.second == id && kv.second.address.is_remote() && address.is_remote() &&
           kv.second.address.node() == address.node() &&
           kv.second.address.incarnation() != address.incarnation();
  });
  const Key key = key_of(address);
  if (members_.contains(key)) return;  // in already
  watch(address);
  if (m.rejoin()) {
    // Back after the room's earlier activation was lost: nothing to say.
    members_.emplace(key, Member{m.user(), std::move(address)});
    report();
    return;
  }
  // The session learns it is in before it sees its own JOIN line.
  v1::SessionEvent joined;
  joined.mutable_joined()->set_channel(channel_);
  joined.mutable_joined()->set_room(name_);
  joined.mutable_joined()->set_room_actor(self().id());
  address.tell(std::move(joined));
  members_.emplace(key, Member{m.user(), std::move(address)});
  // The registry hears of a change before anyone sees it announced.
  report();
  broadcast(irc::format(mask_of(m.user()), "JOIN", {channel_}));
  std::vector<std::string> lines;
  if (!topic_.empty())
    lines.push_back(numerics::topic(server(), m.user().nick(), channel_, topic_));
  for (auto& l : names_lines(m.user().nick())) lines.push_back(std::move(l));
  tell_lines(id, m.origin(), std::move(lines));
}

v1::ChannelInfo Room::handle(const v1::RoomInfo&) {
  v1::ChannelInfo info;
  info.set_name(channel_);
  info.set_members(static_cast<std::uint32_t>(members_.size()));
  info.set_topic(topic_);
  return info;
}

void Room::handle(const v1::Part& m) {
  const std::uint64_t id = m.user().session();
  const auto from = sender(id, m.origin(), "Part");
  if (!from || !one_line(m.reason(), m.origin(), "Part")) return;
  if (!from->member) {
    tell_lines(id, m.origin(), {numerics::not_on_channel(server(), m.user().nick(), channel_)});
    return;
  }
  auto it = find_member(id, m.origin());
  const Member parting = it->second;
  members_.erase(it);
  report();
  v1::SessionEvent parted;
  parted.mutable_parted()->set_channel(channel_);
  parting.address.tell(std::move(parted));
  const std::string line =
      irc::format(mask_of(parting.user), "PART", {channel_},
                  m.reason().empty() ? std::optional<std::string_view>()
                                     : std::optional<std::string_view>(m.reason()));
  parting.address.tell(deliver(line));  // the one leaving sees its PART too
  broadcast(line);
}

v1::Members Room::handle(const v1::Leave& m) {
  const auto from = sender(m.session(), m.origin(), "Leave");
  if (!from || !from->member) return {};
  const Key key = key_of(from->member->address);
  v1::Members out = others(key);
  members_.erase(key);
  report();
  return out;
}

v1::Members Room::handle(const v1::NickChange& m) {
  if (!sender(m.session(), m.origin(), "NickChange")) return {};
  if (!irc::valid_nick(m.nick())) {
    ctx_->refusals.refuse(
        "NickChange", "from " + describe(m.origin()) + " to " + channel_ + ": not a valid nick");
    return {};
  }
  auto it = find_member(m.session(), m.origin());
  if (it == members_.end()) return {};
  members_.at(it->first).user.set_nick(m.nick());
  return others(it->first);
}

// A coroutine handler: while it waits for room in the outbox to the
// connections node, the room's mailbox waits too (backpressure, not loss).
troupe::Task<void> Room::handle(v1::Post m) {
  const std::uint64_t id = m.from().session();
  const auto from = sender(id, m.origin(), "Post");
  if (!from || !one_line(m.text(), m.origin(), "Post")) co_return;
  if (!from->member) {
    // Channels are +n: only members speak (and NOTICE never gets errors).
    if (!m.notice()) {
      tell_lines(id, m.origin(), {numerics::cannot_send(server(), m.from().nick(), channel_)});
    }
    co_return;
  }
  // Who said it: the member table, not the message. Named first: g++ 12
  // miscompiles a braced list inside a co_await expression.
  std::string line = irc::format(mask_of(from->member->user), m.notice() ? "NOTICE" : "PRIVMSG",
                                 {channel_}, m.text());
  co_await broadcast_and_wait(std::move(line), key_of(from->member->address));
}

void Room::handle(const v1::Topic& m) {
  const std::uint64_t id = m.user().session();
  const auto from = sender(id, m.origin(), "Topic");
  if (!from || !one_line(m.text(), m.origin(), "Topic")) return;
  const std::string& nick = nick_of(*from, m.user());
  if (!m.set()) {
    tell_lines(id, m.origin(),
               {topic_.empty() ? numerics::no_topic(server(), nick, channel_)
                               : numerics::topic(server(), nick, channel_, topic_)});
    return;
  }
  if (!from->member) {
    tell_lines(id, m.origin(), {numerics::not_on_channel(server(), nick, channel_)});
    return;
  }
  topic_ = m.text().substr(0, 300);
  report();
  broadcast(irc::format(mask_of(from->member->user), "TOPIC", {channel_}, topic_));
}

void Room::handle(const v1::Names& m) {
  const auto from = sender(m.user().session(), m.origin(), "Names");
  if (!from) return;
  tell_lines(m.user().session(), m.origin(), names_lines(nick_of(*from, m.user())));
}

void Room::handle(const v1::Who& m) {
  const auto from = sender(m.user().session(), m.origin(), "Who");
  if (!from) return;
  const std::string& nick = nick_of(*from, m.user());
  std::vector<std::string> lines;
  lines.reserve(members_.size() + 1);
  for (const auto& [key, member] : members_) {
    const v1::User& u = member.user;
    lines.push_back(
        numerics::who_item(server(), nick, channel_, u.user(), u.host(), u.nick(), u.realname()));
  }
  lines.push_back(numerics::who_end(server(), nick, channel_));
  tell_lines(m.user().session(), m.origin(), std::move(lines));
}

void Room::watch(const SessionAddress& session) {
  if (monitored_.emplace(session.incarnation(), session.id()).second) monitor(session);
}

void Room::handle(const troupe::Down& m) {
  monitored_.erase({m.node, m.actor});
  if (m.reason.kind() == troupe::ExitReason::Kind::kNodeDown) {
    // The connections node is lost (that incarnation), and every member
    // there with it: they could not say goodbye, and nobody there is left
    // to hear it. The first Down removes them all.
    const auto gone = std::erase_if(members_, [&m](const auto& kv) {
      return kv.second.address.is_remote() && kv.second.address.incarnation() == m.node;
    });
    if (gone != 0) report();
    return;
  }
  auto it = members_.find({m.node, m.actor});
  if (it == members_.end()) return;  // gone before it stopped
  const std::string line =
      irc::format(mask_of(it->second.user), "QUIT", {}, std::string_view("Connection lost"));
  members_.erase(it);
  report();
  broadcast(line);
}

void Room::broadcast(const std::string& line, Key except) const {
  const v1::SessionEvent event = deliver(line);
  for (const auto& [key, member] : members_) {
    if (key != except) member.address.tell(v1::SessionEvent(event));
  }
}

troupe::Task<void> Room::broadcast_and_wait(std::string line, Key except) {
  // A member on the connections node gets its own envelope, on the one
  // stream to that node (the frames batch them); `send` waits while its
  // outbox is full. Their addresses are copied out first, so that no
  // iterator into the table is held across a wait.
  const v1::SessionEvent event = deliver(line);
  std::vector<SessionAddress> remote;
  for (const auto& [key, member] : members_) {
    if (key == except) continue;
    if (member.address.is_remote()) {
      remote.push_back(member.address);
    } else {
      member.address.tell(v1::SessionEvent(event));
    }
  }
  for (const SessionAddress& to : remote) {
    const troupe::TellStatus sent = co_await to.send(v1::SessionEvent(event));
    (void)sent;  // a refusal is a dead letter, counted by the system
  }
}

void Room::tell_lines(std::uint64_t session, const troupe::v1::Origin& origin,
                      std::vector<std::string> lines) const {
  auto it = find_member(session, origin);
  if (it != members_.end()) {
    it->second.address.tell(deliver(lines));
  } else if (SessionAddress a = ctx_->directory.session(session, origin)) {
    a.tell(deliver(lines));
  }
}

std::vector<std::string> Room::names_lines(std::string_view nick) const {
  std::vector<std::string> lines;
  std::string names;
  for (const auto& [key, member] : members_) {
    if (!names.empty() && names.size() + member.user.nick().size() + 1 > kNamesBytesPerLine) {
      lines.push_back(numerics::names(server(), nick, channel_, names));
      names.clear();
    }
    if (!names.empty()) names += ' ';
    names += member.user.nick();
  }
  if (!names.empty()) lines.push_back(numerics::names(server(), nick, channel_, names));
  lines.push_back(numerics::names_end(server(), nick, channel_));
  return lines;
}

v1::Members Room::others(Key member) const {
  v1::Members out;
  for (const auto& [key, m] : members_) {
    if (key == member) continue;
    out.add_sessions(key.second);
    *out.add_peers() = ctx_->directory.ref_of(m.address);
  }
  return out;
}

void Room::report() const {
  v1::RoomState s;
  s.set_channel(channel_);
  s.set_room(name_);
  s.set_members(static_cast<std::uint32_t>(members_.size()));
  s.set_topic(topic_);
  s.set_joins_seen(joins_seen_);
  if (registry_) registry_.tell(std::move(s));
}

}  // namespace chat
