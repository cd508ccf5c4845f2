#include "chat/session.hpp"

#include <set>
#include <string>
#include <tuple>
#include <unordered_set>
#include <utility>

#include <troupe/runtime/select.hpp>
#include <troupe/runtime/turns.hpp>

#include "chat/events.hpp"
#include "chat/numerics.hpp"
#include "chat/registry.hpp"
#include "chat/room.hpp"

namespace chat {

namespace {

// Everyone who shares a channel with a session, each once, as the rooms
// list them: by id (this process, or the connections node of a split
// server), or in a cluster by node and id.
class Peers {
 public:
  void add(const v1::Members& m) {
    if (m.peers_size() > 0) {
      for (const auto& p : m.peers()) refs_.emplace(p.node(), p.incarnation(), p.session());
    } else {
      ids_.insert(m.sessions().begin(), m.sessions().end());
    }
  }
  void tell(const Directory& directory, const v1::SessionEvent& event) const {
    for (std::uint64_t id : ids_) {
      if (SessionAddress a = directory.session(id)) a.tell(v1::SessionEvent(event));
    }
    for (const auto& [node, incarnation, session] : refs_) {
      v1::SessionRef ref;
      ref.set_node(node);
      ref.set_incarnation(incarnation);
      ref.set_session(session);
      if (SessionAddress a = directory.session_at(ref)) a.tell(v1::SessionEvent(event));
    }
  }

 private:
  std::set<std::uint64_t> ids_;
  std::set<std::tuple<std::string, std::uint64_t, std::uint64_t>> refs_;
};

constexpr std::string_view kVersion = "troupe-chat-0.1";

// Lines a client may send for a channel whose JOIN is not confirmed yet.
// More than that before the room has even answered is a flood: the excess
// is dropped.
constexpr std::size_t kMaxDeferred = 256;

// The commands that need a registered client; any other than these and
// the registration ones is unknown (421).
const std::unordered_set<std::string_view>& registered_commands() {
  static const std::unordered_set<std::string_view> commands = {
      "JOIN", "PART", "PRIVMSG", "NOTICE", "TOPIC", "NAMES", "LIST", "WHO", "MOTD", "MODE"};
  return commands;
}

// The USER name as it may appear in "nick!user@host".
std::string clean_user(std::string_view user) {
  std::string out = irc::printable(user, 16);
  for (char& c : out) {
    if (c == '@' || c == '!') c = '_';
  }
  return out;
}

// Counts the session as live for as long as its loop's frame exists, even
// if the loop is cancelled by a shutdown.
class LiveSession {
 public:
  explicit LiveSession(SessionCounter& counter) : counter_(counter) { counter_.enter(); }
  LiveSession(const LiveSession&) = delete;
  LiveSession& operator=(const LiveSession&) = delete;
  ~LiveSession() { counter_.leave(); }

 private:
  SessionCounter& counter_;
};

}  // namespace

Session::Session(std::shared_ptr<ServerContext> ctx, std::shared_ptr<ClientLink> link,
                 std::string host)
    : ctx_(std::move(ctx)), link_(std::move(link)), host_(std::move(host)) {}

troupe::Task<void> Session::run(troupe::Mailbox<v1::SessionEvent>& mailbox) {
  LiveSession live(ctx_->sessions);
  // This Session outlives its loop (the loop actor keeps the function that
  // made it); it must then hold no refs, or they would keep actors alive:
  // dropped when the loop's frame goes, whether it returned or was
  // cancelled.
  struct DropRefs {
    Session& s;
    ~DropRefs() { s.drop_refs(); }
  } drop{*this};
  auto first = co_await mailbox.next();
  while (first && !trusted(*first)) first = co_await mailbox.next();
  if (!first || !first->has_attached()) co_return;
  id_ = first->attached().session();
  registry_ = ctx_->directory.registry();
  if (!registry_) co_return;  // the server is stopping
  outbox_.emplace(link_, ctx_->options.max_backlog);
  auto lines = read_lines(link_, irc::kMaxLineLength);
  // One timer for all the timeouts. It is moved only to an earlier
  // deadline; a later one (a busy client pushes its PING further at every
  // line) is taken up when the timer fires, so a chatty client costs no
  // timer operation per line and an idle one wakes once per deadline.
  troupe::Sleep timer(next_deadline());
  // The client's lines and the mailbox take turns (after one wins, the
  // other is polled first): a busy mailbox cannot starve the client's
  // input, nor a chatty client its deliveries. The timer stays out of the
  // turns, last in a biased select around them: it only matters when both
  // are quiet, so a line already there is seen (a sign of life) before an
  // idle timeout is judged, and a timeout never takes a turn from them.
  troupe::Turns turns;
  while (!closing_) {
    if (const troupe::Instant due = next_deadline(); due < timer.deadline().value_or(due)) {
      timer.reset(due);
    }
    auto r = co_await troupe::select(turns.select(mailbox.next(), lines.next()), timer);
    if (r.index() == 1) {
      on_timer(timer);
    } else if (auto& input = std::get<0>(r); input.index() == 0) {
      auto& event = std::get<0>(input);
      if (!event) break;  // stopped gracefully
      if (trusted(*event)) co_await on_event(*event);
    } else {
      auto& line = std::get<1>(input);
      if (!line) break;  // the client closed, or the connection failed
      // Any line is a sign of life, a PONG or not.
      last_input_ = troupe::now();
      ping_pending_ = false;
      co_await on_line(*line);
    }
  }
  co_await finish();
}

troupe::Task<void> Session::on_line(const InputLine& line) {
  if (line.too_long) {
    send(numerics::input_too_long(server(), nick_or_star()));
    co_return;
  }
  const irc::ParseResult parsed = irc::parse(line.text);
  if (!parsed) {
    if (parsed.error != irc::ParseError::kEmpty) {
      send(numerics::unknown_command(server(), nick_or_star(), parsed.token));
    }
    co_return;
  }
  co_await dispatch(*parsed.message);
}

troupe::Task<void> Session::dispatch(const irc::Message& m) {
  const std::string& c = m.command;
  if (c == "NICK") {
    co_await cmd_nick(m);
  } else if (c == "USER") {
    co_await cmd_user(m);
  } else if (c == "PASS") {
    if (registered_) send(numerics::already_registered(server(), nick_));
  } else if (c == "CAP") {
    co_await cmd_cap(m);
  } else if (c == "PING") {
    cmd_ping(m);
  } else if (c == "PONG") {
    // Nothing more to do: the loop has already counted the line as the
    // answer to a PING of ours (any line would do).
  } else if (c == "QUIT") {
    cmd_quit(m);
  } else if (!registered_commands().contains(c)) {
    send(numerics::unknown_command(server(), nick_or_star(), c));
  } else if (!registered_) {
    send(numerics::not_registered(server(), nick_or_star()));
  } else if (c == "JOIN") {
    co_await cmd_join(m);
  } else if (c == "PART") {
    co_await cmd_part(m);
  } else if (c == "PRIVMSG" || c == "NOTICE") {
    co_await cmd_post(m, c == "NOTICE");
  } else if (c == "TOPIC") {
    co_await cmd_topic(m);
  } else if (c == "NAMES") {
    co_await cmd_names(m);
  } else if (c == "LIST") {
    co_await cmd_list(m);
  } else if (c == "WHO") {
    co_await cmd_who(m);
  } else if (c == "MOTD") {
    send_motd();
  } else if (c == "MODE") {
    cmd_mode(m);
  }
}

troupe::Task<void> Session::on_event(v1::SessionEvent& e) {
  switch (e.event_case()) {
    case v1::SessionEvent::kDeliver:
      send_wire(std::move(*e.mutable_deliver()->mutable_text()));
      break;
    case v1::SessionEvent::kJoined: {
      const std::string key = irc::fold_case(e.joined().channel());
      std::vector<irc::Message> waiting;
      if (auto it = joining_.find(key); it != joining_.end()) {
        waiting = std::move(it->second);
        joining_.erase(it);
      }
      if (auto ref = ctx_->directory.room(e.joined().room(), e.joined().room_actor())) {
        rooms_[key] = JoinedRoom{e.joined().channel(), std::move(ref)};
      }
      for (const irc::Message& m : waiting) co_await dispatch(m);
      break;
    }
    case v1::SessionEvent::kParted:
      rooms_.erase(irc::fold_case(e.parted().channel()));
      break;
    case v1::SessionEvent::kDisconnect:
      quit_reason_ = e.disconnect().reason();
      closing_ = true;
      break;
    default:
      break;
  }
}

bool Session::trusted(const v1::SessionEvent& e) const {
  if (e.origin().node().empty() || ctx_->directory.from_rooms(e.origin())) return true;
  ctx_->refusals.refuse("SessionEvent", "from " + describe(e.origin()) + " to session " +
                                            std::to_string(id_) + ": not the rooms node");
  return false;
}

troupe::Task<void> Session::cmd_nick(const irc::Message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::no_nick_given(server(), nick_or_star()));
    co_return;
  }
  const std::string& nick = m.params[0];
  if (!irc::valid_nick(nick)) {
    send(numerics::erroneous_nick(server(), nick_or_star(), irc::printable(nick)));
    co_return;
  }
  if (nick == nick_) co_return;
  v1::ClaimNick claim;
  *claim.mutable_user() = me();
  claim.mutable_user()->set_nick(nick);
  auto reply = co_await registry_.ask(std::move(claim), ctx_->options.ask_timeout);
  if (!reply) {
    send(irc::format(server(), "NOTICE", {nick_or_star()}, "The server is busy, try again"));
    co_return;
  }
  if (reply->status() != v1::NickReply::OK) {
    send(numerics::nick_in_use(server(), nick_or_star(), nick));
    co_return;
  }
  if (!registered_) {
    nick_ = nick;
    co_await try_register();
    co_return;
  }
  const std::string line = irc::format(mask(), "NICK", {}, nick);
  nick_ = nick;
  send(line);
  // Each room updates its member and says who is in it; everyone who shares
  // a channel hears of the change once.
  Peers peers;
  for (const auto& [key, room] : rooms_) {
    v1::NickChange change;
    change.set_session(id_);
    change.set_nick(nick);
    auto members = co_await room.ref.ask(std::move(change), ctx_->options.ask_timeout);
    if (members) peers.add(*members);
  }
  peers.tell(ctx_->directory, deliver(line));
}

troupe::Task<void> Session::cmd_user(const irc::Message& m) {
  if (registered_) {
    send(numerics::already_registered(server(), nick_));
    co_return;
  }
  if (m.params.size() < 4) {
    send(numerics::need_more_params(server(), nick_or_star(), "USER"));
    co_return;
  }
  user_ = clean_user(m.params[0]);
  realname_ = m.params[3].substr(0, 64);
  co_await try_register();
}

troupe::Task<void> Session::cmd_cap(const irc::Message& m) {
  // No capabilities: enough for IRCv3 clients to see that and go on. A
  // client that starts negotiating is registered only after CAP END.
  if (m.params.empty()) {
    send(numerics::need_more_params(server(), nick_or_star(), "CAP"));
    co_return;
  }
  const std::string& sub = m.params[0];
  if (sub == "LS" || sub == "LIST") {
    if (sub == "LS" && !registered_) cap_negotiating_ = true;
    send(irc::format(server(), "CAP", {nick_or_star(), sub}, ""));
  } else if (sub == "REQ") {
    if (!registered_) cap_negotiating_ = true;
    send(irc::format(server(), "CAP", {nick_or_star(), "NAK"},
                     m.params.size() > 1 ? m.params[1] : ""));
  } else if (sub == "END") {
    cap_negotiating_ = false;
    co_await try_register();
  } else {
    send(
        irc::format(server(), "410", {nick_or_star(), irc::printable(sub)}, "Invalid CAP command"));
  }
}

void Session::cmd_ping(const irc::Message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::no_origin(server(), nick_or_star()));
    return;
  }
  send(irc::format(server(), "PONG", {server()}, m.params[0]));
}

troupe::Task<void> Session::cmd_join(const irc::Message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::need_more_params(server(), nick_, "JOIN"));
    co_return;
  }
  if (m.params[0] == "0") {  // RFC 2812: JOIN 0 leaves every channel
    // rooms_ does not change while this waits: only this loop changes it.
    for (const auto& [key, room] : rooms_) {
      v1::Part part;
      *part.mutable_user() = me();
      part.set_channel(room.channel);
      co_await to_room(&room, std::move(part));
    }
    co_return;
  }
  for (std::string_view item : irc::split_list(m.params[0])) {
    const std::string channel(item);
    if (!irc::valid_channel(channel)) {
      send(numerics::no_such_channel(server(), nick_, irc::printable(channel)));
      continue;
    }
    const std::string key = irc::fold_case(channel);
    if (rooms_.contains(key) || joining_.contains(key)) continue;
    if (rooms_.size() + joining_.size() >= ctx_->options.max_channels) {
      send(numerics::too_many_channels(server(), nick_, channel));
      continue;
    }
    joining_.emplace(key, std::vector<irc::Message>());
    v1::Join join;
    *join.mutable_user() = me();
    join.set_channel(channel);
    co_await to_registry(std::move(join));
  }
}

troupe::Task<void> Session::cmd_part(const irc::Message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::need_more_params(server(), nick_, "PART"));
    co_return;
  }
  const std::string reason = m.params.size() > 1 ? m.params[1] : "";
  for (std::string_view item : irc::split_list(m.params[0])) {
    const std::string channel(item);
    const std::string key = irc::fold_case(channel);
    if (defer_if_joining(key, irc::Message{"", "PART", {channel, reason}})) continue;
    v1::Part part;
    *part.mutable_user() = me();
    part.set_channel(channel);
    part.set_reason(reason);
    // In a cluster the registry hears of it on the way: it keeps this
    // node's members of each channel, to bring them back after a failover.
    co_await to_room(ctx_->directory.in_cluster() ? nullptr : joined(key), std::move(part));
  }
}

troupe::Task<void> Session::cmd_post(const irc::Message& m, bool notice) {
  // NOTICE never gets an automatic reply (RFC 2812 3.3.2), errors included.
  const std::string_view command = notice ? "NOTICE" : "PRIVMSG";
  if (m.params.empty() || m.params[0].empty()) {
    if (!notice) send(numerics::no_recipient(server(), nick_, command));
    co_return;
  }
  if (m.params.size() < 2 || m.params[1].empty()) {
    if (!notice) send(numerics::no_text(server(), nick_));
    co_return;
  }
  const std::string& text = m.params[1];
  for (std::string_view item : irc::split_list(m.params[0])) {
    const std::string target(item);
    v1::Post post;
    *post.mutable_from() = me();
    post.set_target(target);
    post.set_text(text);
    post.set_notice(notice);
    const JoinedRoom* room = nullptr;
    if (irc::is_channel(target)) {
      const std::string key = irc::fold_case(target);
      if (defer_if_joining(key, irc::Message{"", std::string(command), {target, text}})) continue;
      room = joined(key);
    }
    co_await to_room(room, std::move(post));
  }
}

troupe::Task<void> Session::cmd_topic(const irc::Message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::need_more_params(server(), nick_, "TOPIC"));
    co_return;
  }
  const std::string key = irc::fold_case(m.params[0]);
  if (defer_if_joining(key, m)) co_return;
  v1::Topic topic;
  *topic.mutable_user() = me();
  topic.set_channel(m.params[0]);
  if (m.params.size() > 1) {
    topic.set_set(true);
    topic.set_text(m.params[1]);
  }
  co_await to_room(joined(key), std::move(topic));
}

troupe::Task<void> Session::cmd_names(const irc::Message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::names_end(server(), nick_, "*"));
    co_return;
  }
  for (std::string_view item : irc::split_list(m.params[0])) {
    v1::Names names;
    *names.mutable_user() = me();
    names.set_channel(std::string(item));
    co_await to_room(joined(irc::fold_case(item)), std::move(names));
  }
}

troupe::Task<void> Session::cmd_list(const irc::Message& m) {
  v1::ListChannels query;
  if (!m.params.empty()) {
    for (std::string_view item : irc::split_list(m.params[0]))
      query.add_channels(std::string(item));
  }
  auto list = co_await registry_.ask(std::move(query), ctx_->options.ask_timeout);
  send(numerics::list_start(server(), nick_));
  if (list) {
    for (const v1::ChannelInfo& c : list->channels()) {
      send(numerics::list_item(server(), nick_, c.name(), c.members(), c.topic()));
    }
  }
  send(numerics::list_end(server(), nick_));
}

troupe::Task<void> Session::cmd_who(const irc::Message& m) {
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::who_end(server(), nick_, "*"));
    co_return;
  }
  v1::Who who;
  *who.mutable_user() = me();
  who.set_mask(m.params[0]);
  const JoinedRoom* room =
      irc::is_channel(m.params[0]) ? joined(irc::fold_case(m.params[0])) : nullptr;
  co_await to_room(room, std::move(who));
}

void Session::cmd_mode(const irc::Message& m) {
  // Modes are reported (so that clients that ask are satisfied), never
  // changed: every channel is +nt, every user plain.
  if (m.params.empty() || m.params[0].empty()) {
    send(numerics::need_more_params(server(), nick_, "MODE"));
    return;
  }
  const std::string target = irc::printable(m.params[0], irc::kMaxChannelLength);
  if (irc::is_channel(target)) {
    if (m.params.size() == 1) {
      send(numerics::channel_modes(server(), nick_, target));
    } else if (m.params[1] == "b" || m.params[1] == "+b") {
      send(numerics::ban_list_end(server(), nick_, target));
    }
    return;
  }
  if (irc::fold_case(target) != irc::fold_case(nick_)) {
    send(numerics::users_dont_match(server(), nick_));
  } else if (m.params.size() == 1) {
    send(numerics::user_modes(server(), nick_));
  }
}

void Session::cmd_quit(const irc::Message& m) {
  quit_reason_ = "Quit: " + (m.params.empty() ? std::string() : m.params[0].substr(0, 200));
  closing_ = true;
}

void Session::send_motd() {
  send(numerics::motd_start(server(), nick_));
  for (const std::string& line : ctx_->options.motd) {
    send(numerics::motd_line(server(), nick_, line));
  }
  send(numerics::motd_end(server(), nick_));
}

troupe::Task<void> Session::try_register() {
  if (registered_ || nick_.empty() || user_.empty() || cap_negotiating_) co_return;
  registered_ = true;
  v1::Identify identify;
  *identify.mutable_user() = me();
  co_await to_registry(std::move(identify));
  send(numerics::welcome(server(), nick_, mask()));
  send(numerics::your_host(server(), nick_, kVersion));
  send(numerics::created(server(), nick_, ctx_->created));
  send(numerics::my_info(server(), nick_, kVersion));
  send(numerics::isupport(server(), nick_, ctx_->options.network));
  send_motd();
}

bool Session::defer_if_joining(const std::string& key, irc::Message m) {
  auto it = joining_.find(key);
  if (it == joining_.end()) return false;
  if (it->second.size() < kMaxDeferred) it->second.push_back(std::move(m));
  return true;
}

const Session::JoinedRoom* Session::joined(const std::string& key) const {
  auto it = rooms_.find(key);
  return it == rooms_.end() ? nullptr : &it->second;
}

template <class M>
troupe::Task<void> Session::to_registry(M m) {
  const troupe::TellStatus sent = co_await registry_.send(std::move(m));
  (void)sent;  // a refusal is a dead letter, counted by the system
}

template <class M>
troupe::Task<void> Session::to_room(const JoinedRoom* room, M m) {
  if (!room) {
    co_await to_registry(std::move(m));
    co_return;
  }
  const troupe::TellStatus sent = co_await room->ref.send(std::move(m));
  (void)sent;
}

troupe::Instant Session::next_deadline() const noexcept {
  const auto after = [](troupe::Instant from, troupe::Duration d) {
    if (d <= troupe::Duration::zero()) return troupe::Instant::max();  // that limit is off
    return troupe::Instant::max() - from < d ? troupe::Instant::max() : from + d;
  };
  const ServerOptions& o = ctx_->options;
  if (!registered_) return after(connected_at_, o.register_timeout);
  if (ping_pending_) return after(ping_sent_at_, o.ping_timeout);
  return after(last_input_, o.ping_interval);
}

void Session::on_timer(troupe::Sleep& timer) {
  const troupe::Instant now = troupe::now();
  if (const troupe::Instant due = next_deadline(); now < due) {
    timer.reset(due);  // the client spoke since the timer was set: later
    return;
  }
  if (!registered_) {
    quit_reason_ = "Registration timed out";
    closing_ = true;
  } else if (ping_pending_) {
    // Leaves as a lost connection does: the others see the QUIT.
    quit_reason_ = "Ping timeout";
    closing_ = true;
  } else {
    send(irc::format("", "PING", {}, server()));
    ping_pending_ = true;
    ping_sent_at_ = now;
    timer.reset(next_deadline());
  }
}

troupe::Task<void> Session::finish() {
  // Leave every room without a PART, collecting who was there...
  Peers peers;
  for (const auto& [key, room] : rooms_) {
    v1::Leave leave;
    leave.set_session(id_);
    auto members = co_await room.ref.ask(std::move(leave), ctx_->options.ask_timeout);
    if (members) peers.add(*members);
  }
  rooms_.clear();
  // ...free the nick before anyone hears of the QUIT, so that whoever sees
  // it may take the nick at once...
  v1::SessionClosed closed;
  closed.set_session(id_);
  co_await to_registry(std::move(closed));
  // ...and tell each of them once.
  if (registered_)
    peers.tell(ctx_->directory, deliver(irc::format(mask(), "QUIT", {}, quit_reason_)));
  // The address may connect again as soon as this one is seen to close
  // (the ERROR line, then EOF), not only once the session is gone.
  release_address();
  const std::string error =
      irc::format("", "ERROR", {}, "Closing Link: " + host_ + " (" + quit_reason_ + ")");
  if (!slow_) send(error);
  if (slow_) {
    co_await outbox_->abort(error, ctx_->options.close_grace);
  } else {
    co_await outbox_->close(ctx_->options.close_grace);
  }
}

void Session::release_address() noexcept {
  if (!address_counted_) return;
  address_counted_ = false;
  ctx_->addresses.leave(host_);
}

void Session::drop_refs() noexcept {
  release_address();
  if (id_ != 0) ctx_->directory.remove_session(id_);
  outbox_.reset();  // its writer task (and the waker it may hold) goes too
  rooms_.clear();
  joining_.clear();
  registry_ = {};
  link_.reset();
}

void Session::send(std::string_view line) {
  if (slow_ || !outbox_) return;
  queued(outbox_->push(line));
}

void Session::send_wire(std::string text) {
  if (slow_ || !outbox_ || text.empty()) return;
  queued(outbox_->push_wire(std::move(text)));
}

void Session::queued(Outbox::Push result) {
  if (result == Outbox::Push::kFull) {
    // The slow-client policy: this client has not read its last
    // max_backlog lines; rather than hold more for it, drop it.
    slow_ = true;
    closing_ = true;
    quit_reason_ = "SendQ exceeded";
  }
}

v1::User Session::me() const {
  v1::User u;
  u.set_session(id_);
  u.set_nick(nick_);
  u.set_user(user_);
  u.set_host(host_);
  u.set_realname(realname_);
  return u;
}

}  // namespace chat
