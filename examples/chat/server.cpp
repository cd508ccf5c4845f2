#include "chat/server.hpp"

#include <cerrno>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include <sys/socket.h>

#include <troupe/actor/mailbox.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/tcp_listener.hpp>

#include "chat/irc_message.hpp"
#include "chat/registry.hpp"
#include "chat/room.hpp"
#include "chat/rooms_link.hpp"
#include "chat/session.hpp"
#include "chat/tcp_client_link.hpp"

namespace chat {

namespace {

using namespace std::chrono_literals;

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %Y at %H:%M:%S UTC", &tm);
  return buf;
}

// An IPv6 host such as "::1" would start with ':' and read as a trailing
// parameter in replies that carry it (WHO); servers write it "0::1".
std::string host_of(const troupe::SocketAddress& peer) {
  std::string host = peer.ip_string();
  if (!host.empty() && host.front() == ':') host.insert(host.begin(), '0');
  return host;
}

// Over the per-address limit: one ERROR line and the socket is closed, no
// session, no actor. A fresh socket's send buffer is empty, so the line
// goes without waiting; if it somehow cannot, the close alone says it.
void refuse(troupe::TcpStream stream, const std::string& host) {
  const std::string error = irc::format(
      "", "ERROR", {}, "Closing Link: " + host + " (Too many connections from your address)");
  const std::string wire = error + "\r\n";
  (void)::send(stream.native_handle(), wire.data(), wire.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

// A link on an accepted socket, tuned for chat lines.
std::shared_ptr<ClientLink> tcp_link(const ServerContext& ctx, troupe::TcpStream stream) {
  auto link = std::make_shared<TcpClientLink>(std::move(stream));
  // Lines should leave at once; the writer already batches what is queued.
  (void)link->socket().set_nodelay(true);
  if (const int size = ctx.options.socket_send_buffer; size > 0) {
    (void)::setsockopt(link->socket().native_handle(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  return link;
}

// `link` has been counted in ctx->addresses; the session takes it over.
troupe::Task<void> start_session(troupe::ActorSystem& system, std::shared_ptr<ServerContext> ctx,
                                 std::shared_ptr<ClientLink> link, std::string host) {
  auto session = std::make_shared<Session>(ctx, std::move(link), host);
  SessionAddress address = system.spawn_loop<v1::SessionEvent>(
      [session](troupe::Mailbox<v1::SessionEvent>& mailbox) { return session->run(mailbox); });
  // Named (on a split server, published: the rooms node reaches it by its
  // id) and announced before it hears anything, so that its id resolves
  // for whoever it talks to.
  ctx->directory.add_session(address.id(), address);
  v1::SessionOpened opened;
  opened.set_session(address.id());
  opened.set_host(host);
  // `send`: on a split server the outbox to the rooms node may be full;
  // the acceptor waits rather than have the registry miss a session.
  if (auto registry = ctx->directory.registry()) {
    const troupe::TellStatus sent = co_await registry.send(std::move(opened));
    (void)sent;
  }
  v1::SessionEvent attached;
  attached.mutable_attached()->set_session(address.id());
  address.tell(std::move(attached));
}

troupe::Task<void> accept_loop(troupe::ActorSystem& system, std::shared_ptr<ServerContext> ctx,
                               std::shared_ptr<troupe::TcpListener> listener,
                               troupe::Mailbox<v1::StopAccepting>& mailbox) {
  for (;;) {
    auto accept = listener->accept();
    auto r = co_await troupe::select(mailbox.next(), accept);
    if (r.index() == 0) co_return;  // told to stop, or the system is stopping
    auto& accepted = std::get<1>(r);
    if (!accepted) {
      // Typically out of file descriptors: retrying at once would spin;
      // give some connections time to close.
      co_await troupe::sleep_for(100ms);
      continue;
    }
    std::string host = host_of(accepted->peer);
    if (!ctx->addresses.try_enter(host, ctx->options.max_connections_per_address)) {
      refuse(std::move(accepted->stream), host);
      continue;
    }
    co_await start_session(system, ctx, tcp_link(*ctx, std::move(accepted->stream)),
                           std::move(host));
  }
}

}  // namespace

ChatServer::ChatServer(troupe::ActorSystem& system, ServerOptions options)
    : system_(system), ctx_(std::make_shared<ServerContext>(system, std::move(options))) {}

ChatServer::~ChatServer() { stop(std::chrono::milliseconds(0)); }

troupe::IoResult<troupe::SocketAddress> ChatServer::start() {
  auto address = troupe::SocketAddress::from_ip(ctx_->options.host, ctx_->options.port);
  if (!address) return address.error();
  auto listener = troupe::TcpListener::bind(*address);
  if (!listener) return listener.error();
  auto bound = listener->local_address();
  if (!bound) return bound.error();
  ctx_->created = now_utc();
  if (!registry_) {  // unless it is on the rooms node
    auto registry = system_.spawn<Registry>(ctx_);
    ctx_->directory.add_registry(registry);
    registry_ = registry;
  }
  serving_ = true;
  acceptor_ = system_.spawn_loop<v1::StopAccepting>(
      [&system = system_, ctx = ctx_,
       l = std::make_shared<troupe::TcpListener>(std::move(*listener))](
          troupe::Mailbox<v1::StopAccepting>& mailbox) {
        return accept_loop(system, ctx, l, mailbox);
      });
  return *bound;
}

void ChatServer::serve_rooms(troupe::remote::Node& node) {
  ctx_->created = now_utc();
  ctx_->directory.serve_rooms_on(node);
  auto registry = system_.spawn<Registry>(ctx_);
  ctx_->directory.add_registry(registry);
  registry_ = registry;
  serving_ = true;
}

troupe::Task<bool> ChatServer::serve(std::shared_ptr<ClientLink> link, std::string host) {
  if (!ctx_->addresses.try_enter(host, ctx_->options.max_connections_per_address)) {
    const std::string error =
        irc::format("", "ERROR", {},
                    "Closing Link: " + host + " (Too many connections from your address)") +
        "\r\n";
    (void)co_await link->write_all(std::as_bytes(std::span(error)));
    link->shutdown();
    co_return false;
  }
  co_await start_session(system_, ctx_, std::move(link), std::move(host));
  co_return true;
}

bool ChatServer::use_rooms_at(troupe::remote::Node& node, const std::string& address,
                              troupe::Duration timeout) {
  return system_.block_on(attach_to_rooms(node, address, timeout));
}

troupe::Task<bool> ChatServer::attach_to_rooms(troupe::remote::Node& node, std::string address,
                                               troupe::Duration timeout) {
  auto registry = co_await attach_rooms(*ctx_, node, address, timeout);
  if (!registry) co_return false;
  registry_ = registry;
  if (!rooms_link_)
    rooms_link_ = system_.spawn<RoomsLink>(ctx_, &node, std::move(address), timeout);
  co_return true;
}

void ChatServer::join_cluster(troupe::remote::Node& node, troupe::cluster::Cluster& cluster) {
  ctx_->directory.serve_cluster_on(node, cluster);
  cluster.host<Room>(Directory::kChannelKind, ctx_);
}

void ChatServer::stop(std::chrono::milliseconds grace) {
  if (stopped_ || !serving_) return;
  stopped_ = true;
  if (acceptor_) acceptor_.tell(v1::StopAccepting());
  v1::ServerClosing closing;
  closing.set_reason("Server shutting down");
  if (auto registry = ctx_->directory.registry()) {
    registry.tell(closing);
  } else {  // a connections node that lost its rooms node: its own sessions
    v1::SessionEvent bye;
    bye.mutable_disconnect()->set_reason(closing.reason());
    for (const SessionAddress& session : ctx_->directory.sessions_here())
      session.tell(v1::SessionEvent(bye));
  }
  // On a driven system the sessions end only while its owner drives it.
  if (grace.count() > 0 && !system_.driven()) ctx_->sessions.wait_for_none(grace);
}

}  // namespace chat
