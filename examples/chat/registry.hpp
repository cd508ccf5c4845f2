#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include <troupe/actor/actor.hpp>
#include <troupe/actor/supervisor_strategy.hpp>
#include <troupe/actor/system_messages.hpp>
#include <troupe/proto/messages.hpp>

#include "chat.pb.h"
#include "chat/context.hpp"
#include "chat/directory.hpp"

namespace chat {

class Room;

/// The actor that owns the server's names: which session has which nick,
/// and which room actor serves which channel. It creates rooms on the first
/// Join (as its children) and removes them once empty; it delivers private
/// messages, and answers for channels that do not exist.
///
/// One per server. Sessions ask it (ClaimNick, ListChannels) and tell it
/// the rest; it never waits on anyone, so those asks cannot deadlock. It
/// knows every session (the acceptor announces each) and monitors them, here
/// or on the connections node, so a nick is freed even if its session dies
/// without saying so or its node is lost, and a shutdown can say goodbye to
/// all. Handlers run one at a time: no locks.
///
/// What it believes (a split server, where another node talks to it): its
/// own table of sessions is the authority on who a session is. A message
/// that speaks for a session is taken only if that session is in the table
/// and lives where the message came from (its trusted `origin`: this
/// process, or the attached connections node, this incarnation of it);
/// the sender's nick, user and host are then the table's, never the
/// message's User. (A message from the attached node for a session it no
/// longer has is late news, its Down having overtaken it: dropped, not
/// refused.) What it forwards to a room carries the table's User and an
/// empty origin: the room may believe it. ConnectionsAttached is taken only
/// from the node it names, and only while no other connections node is
/// attached (Directory::attach_connections). Whatever it refuses is dropped
/// and counted (ServerContext::refusals), never answered.
class Registry : public troupe::Actor<Registry> {
 public:
  explicit Registry(std::shared_ptr<ServerContext> ctx);

  /// A room that fails is stopped, not restarted: a fresh room would have
  /// lost its members, who still hold its ref.
  static troupe::SupervisorStrategy supervisor_strategy();

  /// What the connections node of a split server may send it. Not
  /// RoomState: only its rooms, here, say that; from another node it would
  /// not even decode.
  using messages =
      troupe::proto::Messages<v1::SessionOpened, v1::ClaimNick, v1::Identify, v1::SessionClosed,
                              v1::Join, v1::ListChannels, v1::Post, v1::Part, v1::Topic, v1::Names,
                              v1::Who, v1::ServerClosing, v1::ConnectionsAttached>;

  void handle(const v1::SessionOpened& m);
  void handle(const v1::ConnectionsAttached& m);
  troupe::Task<v1::NickReply> handle(v1::ClaimNick m);
  void handle(const v1::Identify& m);
  void handle(const v1::SessionClosed& m);
  void handle(const v1::Join& m);
  void handle(const v1::RoomState& m);
  troupe::Task<v1::ChannelList> handle(v1::ListChannels m);
  troupe::Task<void> handle(v1::Post m);
  void handle(const v1::Part& m);
  void handle(const v1::Topic& m);
  void handle(const v1::Names& m);
  void handle(const v1::Who& m);
  void handle(const v1::ServerClosing& m);
  void handle(const troupe::Down& m);

 private:
  struct Known {
    v1::User user;  // nick empty until claimed
    SessionAddress address;
  };
  struct RoomEntry {
    troupe::ActorRef<Room> ref;
    std::string channel;  // display form
    std::string name;     // directory name
    std::uint32_t members = 0;
    std::string topic;
    std::uint64_t joins_forwarded = 0;
  };

  std::string_view server() const noexcept { return ctx_->options.server_name; }
  /// The session `session` if `origin` may speak for it (it lives there);
  /// else null, and a message from another node is refused as `what`.
  Known* sender(std::uint64_t session, const troupe::v1::Origin& origin, std::string_view what);
  void refuse(std::string_view what, const troupe::v1::Origin& origin, const std::string& why);
  void forget(std::uint64_t session);
  /// Forgets the sessions of connections nodes other than the attached
  /// one (`keep`, an incarnation).
  void forget_remote_except(std::uint64_t keep);
  RoomEntry* find_room(const std::string& channel);
  /// In a chat cluster: the channel (a virtual actor), wherever it is.
  troupe::ActorRef<Room> cluster_room(const std::string& channel) const;
  /// In a chat cluster: `session` (of this node) is in `channel` (folded):
  /// the registry watches the channel's activation, to bring its members
  /// back into the next one if it is lost.
  void joined_cluster_room(const std::string& channel, std::uint64_t session);
  void rejoin(const std::string& channel);
  /// The cluster-wide name of the session that holds `nick` (folded).
  static std::string nick_name(const std::string& folded) { return "chat.nick/" + folded; }
  void tell_lines(std::uint64_t session, std::vector<std::string> lines);

  std::shared_ptr<ServerContext> ctx_;
  std::unordered_map<std::string, std::uint64_t> nicks_;  // folded nick -> session
  std::unordered_map<std::uint64_t, Known> sessions_;
  std::unordered_map<std::string, RoomEntry> rooms_;         // folded channel -> room
  std::unordered_map<std::uint64_t, std::string> room_ids_;  // room actor id -> folded channel
  std::uint64_t next_room_ = 1;
  // A chat cluster: this node's sessions in each channel (folded), and the
  // channels watched, by their virtual actor's id.
  std::unordered_map<std::string, std::set<std::uint64_t>> cluster_members_;
  std::unordered_map<troupe::ActorId, std::string> watched_channels_;
};

}  // namespace chat
