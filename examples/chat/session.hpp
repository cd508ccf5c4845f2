#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <troupe/actor/actor_ref.hpp>
#include <troupe/actor/mailbox.hpp>
#include <troupe/runtime/clock.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>

#include "chat.pb.h"
#include "chat/client_link.hpp"
#include "chat/context.hpp"
#include "chat/irc_message.hpp"
#include "chat/line_reader.hpp"
#include "chat/outbox.hpp"

namespace chat {

class Registry;
class Room;

/// The actor of one client connection, written as a loop (spawn_loop): it
/// waits for whichever comes first, a line from the client (read_lines over
/// the socket) or an event in its mailbox (lines for the client from rooms
/// and the registry, join confirmations), and writes to the client through
/// its Outbox only.
///
/// It speaks IRC: registration (NICK, USER, CAP), then the commands, which
/// become messages to the Registry or to the Rooms it is in, sent with
/// `send` in the order the commands make them (on a split server a full
/// outbox to the rooms node makes the session wait, never drops). Reading
/// the next line waits until the current one is handled, so a client that
/// floods the server only slows itself down. When the client quits,
/// disconnects or falls behind (the slow-client policy, see Outbox), it
/// leaves its rooms, frees its nick and tells everyone who shared a channel
/// with it, once.
///
/// It also keeps idle connections from holding their sockets forever: one
/// timer, armed for the next deadline (registration, then the server's
/// PING, then its answer), closes them the way a lost connection is.
///
/// On a split server it is published on the connections node, so that any
/// node that knows the secret can reach it: it takes events only from this
/// process or from the rooms node in use (their trusted origin), and drops
/// and counts the rest (ServerContext::refusals).
///
/// Made by the acceptor and owned by its loop; used by that one task only.
/// The acceptor has counted the connection in ctx->addresses; the session
/// takes that count back when it closes.
class Session {
 public:
  Session(std::shared_ptr<ServerContext> ctx, std::shared_ptr<ClientLink> link, std::string host);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { release_address(); }

  /// The actor's loop. The acceptor's Attached event must be the first
  /// message in the mailbox.
  troupe::Task<void> run(troupe::Mailbox<v1::SessionEvent>& mailbox);

 private:
  struct JoinedRoom {
    std::string channel;
    troupe::ActorRef<Room> ref;
  };

  // Input.
  troupe::Task<void> on_line(const InputLine& line);
  troupe::Task<void> dispatch(const irc::Message& m);
  troupe::Task<void> on_event(v1::SessionEvent& e);
  /// True if `e` comes from this process or the rooms node in use; else
  /// counted as refused.
  bool trusted(const v1::SessionEvent& e) const;

  // Commands. Those that send to the registry or a room await each `send`
  // before the next: nothing overtakes, and a full way makes them wait.
  troupe::Task<void> cmd_nick(const irc::Message& m);
  troupe::Task<void> cmd_user(const irc::Message& m);
  troupe::Task<void> cmd_cap(const irc::Message& m);
  void cmd_ping(const irc::Message& m);
  troupe::Task<void> cmd_join(const irc::Message& m);
  troupe::Task<void> cmd_part(const irc::Message& m);
  troupe::Task<void> cmd_post(const irc::Message& m, bool notice);
  troupe::Task<void> cmd_topic(const irc::Message& m);
  troupe::Task<void> cmd_names(const irc::Message& m);
  troupe::Task<void> cmd_list(const irc::Message& m);
  troupe::Task<void> cmd_who(const irc::Message& m);
  void cmd_mode(const irc::Message& m);
  void cmd_quit(const irc::Message& m);
  void send_motd();
  troupe::Task<void> try_register();

  // Channel commands go to the room when the session is in it, wait while
  // its Join is on the way, else go to the registry. True if `m` was set
  // aside for later. Awaiting each send is not enough here: a command sent
  // through the registry before the room's Joined and one sent straight to
  // the room after it take two ways, and the second could arrive first.
  bool defer_if_joining(const std::string& key, irc::Message m);
  const JoinedRoom* joined(const std::string& key) const;
  /// Sends `m` to the registry, waiting while the way is full (the outbox
  /// to a rooms node).
  template <class M>
  troupe::Task<void> to_registry(M m);
  /// The same to `room`, or to the registry if null.
  template <class M>
  troupe::Task<void> to_room(const JoinedRoom* room, M m);

  // Timeouts: when the timer must fire next (Instant::max(): never), and
  // what to do when it does.
  troupe::Instant next_deadline() const noexcept;
  void on_timer(troupe::Sleep& timer);

  // Leaving.
  troupe::Task<void> finish();
  void drop_refs() noexcept;
  void release_address() noexcept;

  // Output.
  void send(std::string_view line);
  void send_wire(std::string text);  // lines that already end in CR LF
  void queued(Outbox::Push result);
  std::string_view nick_or_star() const noexcept {
    return nick_.empty() ? std::string_view("*") : std::string_view(nick_);
  }
  std::string_view server() const noexcept { return ctx_->options.server_name; }
  std::string mask() const { return irc::user_mask(nick_, user_, host_); }
  v1::User me() const;

  std::shared_ptr<ServerContext> ctx_;
  troupe::ActorRef<Registry> registry_;
  std::shared_ptr<ClientLink> link_;
  std::string host_;
  std::uint64_t id_ = 0;
  std::optional<Outbox> outbox_;

  std::string nick_;  // as the client spelled it; empty until claimed
  std::string user_;
  std::string realname_;
  bool registered_ = false;
  bool cap_negotiating_ = false;

  std::unordered_map<std::string, JoinedRoom> rooms_;  // by folded channel name
  std::unordered_map<std::string, std::vector<irc::Message>> joining_;

  troupe::Instant connected_at_ = troupe::now();  // the scheduler's clock (virtual in a simulation)
  troupe::Instant last_input_ = connected_at_;    // the last line from the client
  troupe::Instant ping_sent_at_{};
  bool ping_pending_ = false;  // a PING went out and no line came since
  bool address_counted_ = true;

  bool closing_ = false;
  bool slow_ = false;
  std::string quit_reason_ = "Connection closed";
};

}  // namespace chat
