#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/proto/messages.hpp>
#include <troupe/runtime/task.hpp>

#include "chat.pb.h"
#include "chat/context.hpp"
#include "chat/directory.hpp"

namespace chat {

class Registry;

/// The actor of one channel: its members, its topic, and the fan-out of
/// what is said in it. Each line is formatted once and told to every
/// member's session, which never makes the room wait (sessions have
/// unbounded mailboxes and bound their sockets' backlog themselves).
///
/// Spawned by the Registry (its supervisor), which forwards Joins and the
/// commands of non-members; members' sessions talk to it directly. It
/// monitors its members, here or on the connections node, so a session
/// that dies without leaving (or whose node is lost) is removed anyway.
/// Like every actor, its handlers run one at a time: no locks.
///
/// What it believes (a split server): its member table is the authority on
/// who its members are and on which node they live. A message from another
/// node that speaks for a member is taken only if that member lives on
/// that node (the message's trusted `origin`), and the sender's nick, user
/// and host are the table's. One that speaks for a non-member is taken only
/// from the attached connections node (where every remote session lives),
/// and gets no more than an error or a listing back to that session.
/// Messages from this process (the registry, which checked and rewrote the
/// sender; or a session here) are believed. Joins come from the registry
/// only. What it refuses is dropped and counted (ServerContext::refusals).
class Room : public troupe::Actor<Room> {
 public:
  /// `channel` as first joined (its display form), `name` its directory name.
  Room(std::shared_ptr<ServerContext> ctx, std::string channel, std::string name);
  /// A room of a chat cluster: the virtual actor `identity` (the folded
  /// channel name) of kind "channel", activated on any member.
  Room(std::string identity, std::shared_ptr<ServerContext> ctx);
  /// Its name in Joined events (the identity follows).
  static constexpr std::string_view kClusterNamePrefix = "chat.channel/";

  /// What other nodes may send it. Join only in a cluster (where each
  /// member's registry makes its own sessions members); on a split server
  /// only the registry, here, may make a member.
  using messages = troupe::proto::Messages<v1::Join, v1::Part, v1::Leave, v1::NickChange, v1::Post,
                                           v1::Topic, v1::Names, v1::Who, v1::RoomInfo>;

  void handle(const v1::Join& m);
  v1::ChannelInfo handle(const v1::RoomInfo& m);
  void handle(const v1::Part& m);
  v1::Members handle(const v1::Leave& m);
  v1::Members handle(const v1::NickChange& m);
  troupe::Task<void> handle(v1::Post m);
  void handle(const v1::Topic& m);
  void handle(const v1::Names& m);
  void handle(const v1::Who& m);
  void handle(const troupe::Down& m);

 private:
  struct Member {
    v1::User user;
    SessionAddress address;
  };
  /// A member's key: the incarnation of its node (0: this process) and its
  /// session id. Ids are per node: in a cluster two nodes have the same.
  using Key = std::pair<std::uint64_t, std::uint64_t>;
  static Key key_of(const SessionAddress& a) noexcept { return {a.incarnation(), a.id()}; }
  /// The member a message about `session` from `origin` speaks for.
  std::map<Key, Member>::const_iterator find_member(std::uint64_t session,
                                                    const troupe::v1::Origin& origin) const;

  /// Who may have sent a message about `session` from `origin`.
  struct Sender {
    const Member* member;  // null: not a member (replies go to it only)
  };
  /// Empty, and a message from another node refused as `what`, if
  /// `origin` may not speak for `session`.
  std::optional<Sender> sender(std::uint64_t session, const troupe::v1::Origin& origin,
                               std::string_view what) const;
  /// True if `text` is one line's worth (no CR, LF or NUL); else refused
  /// as `what`.
  bool one_line(std::string_view text, const troupe::v1::Origin& origin,
                std::string_view what) const;
  /// The nick to address a reply to: the member's, else the message's
  /// (a non-member's reply goes to that session only).
  static const std::string& nick_of(const Sender& s, const v1::User& claimed) {
    return s.member ? s.member->user.nick() : claimed.nick();
  }

  std::string_view server() const noexcept { return ctx_->options.server_name; }
  void broadcast(const std::string& line, Key except = {}) const;
  /// The same, waiting while the outbox to another node is full.
  troupe::Task<void> broadcast_and_wait(std::string line, Key except);
  /// To the session `session` of `origin`, member or not.
  void tell_lines(std::uint64_t session, const troupe::v1::Origin& origin,
                  std::vector<std::string> lines) const;
  std::vector<std::string> names_lines(std::string_view nick) const;
  v1::Members others(Key member) const;
  void report() const;
  void watch(const SessionAddress& session);

  std::shared_ptr<ServerContext> ctx_;
  troupe::ActorRef<Registry> registry_;  // its parent, always on this node
  std::string channel_;
  std::string name_;
  std::string topic_;
  std::map<Key, Member> members_;
  // The sessions monitored, by (incarnation of their node, id): a session
  // of the connections node may have the same number as one here.
  std::set<std::pair<std::uint64_t, std::uint64_t>> monitored_;
  std::uint64_t joins_seen_ = 0;
};

}  // namespace chat
