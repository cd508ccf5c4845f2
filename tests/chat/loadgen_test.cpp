// The load generator in-process: against the chat server on loopback (it
// must find every delivery exactly once and in order), and against a fake
// server that duplicates, swaps or drops messages (it must notice).

#include "chat/loadgen/loadgen.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/runtime.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/runtime/tcp_listener.hpp>

#include "chat/irc_message.hpp"
#include "chat/line_reader.hpp"
#include "chat/outbox.hpp"
#include "chat/server.hpp"
#include "chat/tcp_client_link.hpp"

namespace {

using namespace std::chrono_literals;
using troupe::Task;

chat::loadgen::Report against_chat_server(chat::loadgen::Options o) {
  troupe::ActorSystem system({.workers = 2});
  chat::ServerOptions options;
  options.port = 0;
  // Every load-generator client comes from 127.0.0.1.
  options.max_connections_per_address = 0;
  chat::ChatServer server(system, options);
  auto address = server.start();
  EXPECT_TRUE(address) << address.error().message();
  if (!address) return {};
  o.port = address->port();
  return system.block_on(chat::loadgen::run(o));
}

TEST(Loadgen, EveryMessageReachesEveryMemberOfItsRoomOnceAndInOrder) {
  chat::loadgen::Options o;
  o.clients = 20;
  o.rooms = 4;
  o.messages = 30;  // 600 messages, 2400 deliveries
  o.window = 8;
  const auto r = against_chat_server(o);
  EXPECT_TRUE(r.ok()) << chat::loadgen::describe(o, r);
  EXPECT_EQ(r.sent, 600u);
  EXPECT_EQ(r.expected, 600u * 4);
  EXPECT_EQ(r.in_order, r.expected);
  EXPECT_EQ(r.delivered, r.expected);
  EXPECT_GT(r.p50_ms, 0.0);
  EXPECT_GE(r.p99_ms, r.p50_ms);
  EXPECT_GT(r.deliveries_per_second(), 0.0);
}

TEST(Loadgen, UnevenRoomsAndNoWindowStillDeliverEverything) {
  chat::loadgen::Options o;
  o.clients = 7;  // rooms of 3, 2 and 2
  o.rooms = 3;
  o.messages = 40;
  o.window = 0;
  const auto r = against_chat_server(o);
  EXPECT_TRUE(r.ok()) << chat::loadgen::describe(o, r);
  EXPECT_EQ(r.expected, 40u * (3 * 2 + 2 * 1 + 2 * 1));
}

TEST(Loadgen, ARatePacesTheSenders) {
  chat::loadgen::Options o;
  o.clients = 4;
  o.rooms = 1;
  o.messages = 5;
  o.rate = 100;  // each client: one message every 40 ms
  const auto r = against_chat_server(o);
  EXPECT_TRUE(r.ok()) << chat::loadgen::describe(o, r);
  // Five ticks each, the first at once: at least four periods.
  EXPECT_GE(r.seconds, 0.15) << chat::loadgen::describe(o, r);
}

// A fake IRC server that mistreats channel messages on purpose.
enum class Fault { kDuplicate, kSwap, kDrop };

struct Fake {
  Fault fault;
  std::mutex mutex;
  std::vector<std::pair<std::string, chat::Outbox*>> members;  // one room
  std::vector<std::string> held;                               // kSwap: one held back
  int seen = 0;
};

Task<void> fake_connection(std::shared_ptr<Fake> fake, troupe::TcpStream s) {
  auto link = std::make_shared<chat::TcpClientLink>(std::move(s));
  chat::Outbox out(link, 1 << 20);
  auto lines = chat::read_lines(link);
  std::string nick = "*";
  while (auto line = co_await lines.next()) {
    auto parsed = chat::irc::parse(line->text);
    if (!parsed) continue;
    const chat::irc::Message& m = *parsed.message;
    if (m.command == "NICK") {
      nick = m.params.at(0);
    } else if (m.command == "USER") {
      out.push(":fake 001 " + nick + " :hi");
    } else if (m.command == "JOIN") {
      std::lock_guard lock(fake->mutex);
      fake->members.emplace_back(nick, &out);
      out.push(":fake 366 " + nick + " " + m.params.at(0) + " :End of NAMES list");
    } else if (m.command == "PRIVMSG") {
      const std::string relay =
          ":" + nick + "!u@h PRIVMSG " + m.params.at(0) + " :" + m.params.at(1);
      std::lock_guard lock(fake->mutex);
      std::vector<std::string> batch = {relay};
      const int n = fake->seen++;
      if (fake->fault == Fault::kDuplicate && n % 7 == 3) batch.push_back(relay);
      if (fake->fault == Fault::kDrop && n % 7 == 3) batch.clear();
      if (fake->fault == Fault::kSwap && n % 7 == 3) {
        fake->held.push_back(relay);  // goes out after the next one
        batch.clear();
      } else if (fake->fault == Fault::kSwap && !fake->held.empty()) {
        batch.insert(batch.end(), fake->held.begin(), fake->held.end());
        fake->held.clear();
      }
      for (auto& [member, outbox] : fake->members) {
        if (outbox == &out) continue;
        for (const auto& l : batch) outbox->push(l);
      }
    } else if (m.command == "QUIT") {
      break;
    }
  }
  {
    std::lock_guard lock(fake->mutex);
    std::erase_if(fake->members, [&out](const auto& p) { return p.second == &out; });
  }
  out.push("ERROR :bye");
  co_await out.close(1s);
}

Task<void> fake_server(std::shared_ptr<Fake> fake, troupe::TcpListener listener, int clients) {
  std::vector<troupe::JoinHandle<void>> connections;
  for (int i = 0; i < clients; ++i) {
    auto accepted = co_await listener.accept();
    if (!accepted) break;
    connections.push_back(troupe::spawn(fake_connection(fake, std::move(accepted->stream))));
  }
  for (auto& c : connections) co_await c;
}

chat::loadgen::Report against_fake(Fault fault) {
  troupe::Runtime runtime({.workers = 2});
  auto listener = troupe::TcpListener::bind(troupe::SocketAddress::ipv4_loopback(0));
  EXPECT_TRUE(listener);
  if (!listener) return {};
  chat::loadgen::Options o;
  o.port = listener->local_address().value().port();
  o.clients = 2;
  o.rooms = 1;
  o.messages = 20;
  o.window = 0;  // a held-back message must not stall its sender
  o.idle_timeout = 1s;
  auto fake = std::make_shared<Fake>();
  fake->fault = fault;
  auto server = runtime.spawn(fake_server(fake, std::move(*listener), 2));
  auto report = runtime.block_on(chat::loadgen::run(o));
  server.wait();
  return report;
}

TEST(Loadgen, NoticesDuplicatedDeliveries) {
  const auto r = against_fake(Fault::kDuplicate);
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.duplicated, 0u);
  EXPECT_EQ(r.missing, 0u);
}

TEST(Loadgen, NoticesReorderedDeliveries) {
  const auto r = against_fake(Fault::kSwap);
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.reordered, 0u);
}

TEST(Loadgen, NoticesLostDeliveries) {
  const auto r = against_fake(Fault::kDrop);
  EXPECT_FALSE(r.ok());
  EXPECT_GT(r.missing, 0u);
  EXPECT_FALSE(r.error.empty());  // it gave up waiting
}

}  // namespace
