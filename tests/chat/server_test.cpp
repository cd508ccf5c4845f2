// The chat server end to end: real TCP clients (TcpStream) on loopback
// against a ChatServer on an ActorSystem. Every wait is for a line the
// server must send, with a timeout; "nothing else arrived" is checked with
// a PING round trip (the server answers lines in order).

#include "chat/server.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/task.hpp>

#include "test_client.hpp"

namespace {

using namespace std::chrono_literals;
using chat::test::Ending;
using chat::test::kRanToTheEnd;
using chat::test::TestClient;
using troupe::SocketAddress;
using troupe::Task;

chat::ServerOptions test_options() {
  chat::ServerOptions o;
  o.port = 0;
  o.server_name = "troupe.chat";
  return o;
}

// Runs `scenario(address)` against a fresh server; success if the scenario
// ran to its end (each TEST asserts it).
::testing::AssertionResult run(Task<Ending> (*scenario)(SocketAddress),
                               chat::ServerOptions options = test_options()) {
  troupe::ActorSystem system({.workers = 2});
  chat::ChatServer server(system, options);
  auto address = server.start();
  if (!address) return ::testing::AssertionFailure() << address.error().message();
  return chat::test::ran_to_the_end(system.block_on(scenario(*address)));
}

bool contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines) {
    if (l.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::size_t count(const std::vector<std::string>& lines, const std::string& needle) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.find(needle) != std::string::npos ? 1 : 0;
  return n;
}

// --- registration -----------------------------------------------------------

Task<Ending> registration(SocketAddress addr) {
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  CO_ASSERT(co_await c->send("NICK alice"));
  CO_ASSERT(co_await c->send("USER al 0 * :Alice Liddell"));
  auto welcome = co_await c->expect(":troupe.chat 001 alice ");
  CO_ASSERT(welcome, << c->dump());
  EXPECT_NE(welcome->find(":Welcome to the Internet Relay Network alice!al@127.0.0.1"),
            std::string::npos)
      << *welcome;
  EXPECT_TRUE(co_await c->expect(":troupe.chat 002 alice :Your host is troupe.chat")) << c->dump();
  EXPECT_TRUE(co_await c->expect(":troupe.chat 003 alice :This server was created")) << c->dump();
  EXPECT_TRUE(co_await c->expect(":troupe.chat 004 alice troupe.chat ")) << c->dump();
  EXPECT_TRUE(co_await c->expect(" 376 alice :End of MOTD command")) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, RegistrationSendsTheWelcomeNumerics001To004InOrder) {
  EXPECT_TRUE(run(registration));
}

Task<Ending> cap_negotiation(SocketAddress addr) {
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  CO_ASSERT(co_await c->send("CAP LS 302"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat CAP * LS :")) << c->dump();
  CO_ASSERT(co_await c->send("NICK capper"));
  CO_ASSERT(co_await c->send("USER cap 0 * :Cap"));
  auto before_end = co_await c->sync();
  CO_ASSERT(before_end);
  EXPECT_FALSE(contains(*before_end, " 001 ")) << "registered during CAP negotiation\n"
                                               << c->dump();
  CO_ASSERT(co_await c->send("CAP END"));
  EXPECT_TRUE(co_await c->expect(" 001 capper ")) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, CapNegotiationHoldsRegistrationUntilCapEnd) { EXPECT_TRUE(run(cap_negotiation)); }

Task<Ending> nick_in_use(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  CO_ASSERT(a && b);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->send("NICK alice"));
  EXPECT_TRUE(co_await b->expect(":troupe.chat 433 * alice :Nickname is already in use"))
      << b->dump();
  // Nicks compare case-insensitively (RFC 1459 case mapping).
  CO_ASSERT(co_await b->send("NICK ALICE"));
  EXPECT_TRUE(co_await b->expect(" 433 * ALICE ")) << b->dump();
  EXPECT_TRUE(co_await b->register_as("bob")) << b->dump();
  // A registered client is refused a taken nick under its own name.
  CO_ASSERT(co_await b->send("NICK alice"));
  EXPECT_TRUE(co_await b->expect(" 433 bob alice ")) << b->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, ATakenNickGets433) { EXPECT_TRUE(run(nick_in_use)); }

Task<Ending> nick_errors(SocketAddress addr) {
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  CO_ASSERT(co_await c->send("NICK"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 431 * :No nickname given")) << c->dump();
  CO_ASSERT(co_await c->send("NICK 9lives"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 432 * 9lives :Erroneous nickname")) << c->dump();
  CO_ASSERT(co_await c->send("NICK :has space"));
  EXPECT_TRUE(co_await c->expect(" 432 * has?space ")) << c->dump();
  CO_ASSERT(co_await c->send("USER onlyone"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 461 * USER :Not enough parameters")) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, BadNicksGet431Or432AndAShortUserGets461) { EXPECT_TRUE(run(nick_errors)); }

Task<Ending> not_registered(SocketAddress addr) {
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  // (Named vectors: GCC 12 cannot keep a braced list alive across co_await.)
  const std::vector<std::string> lines = {"JOIN #x", "PRIVMSG bob :hi", "LIST", "WHO #x"};
  for (const std::string& line : lines) {
    CO_ASSERT(co_await c->send(line));
    EXPECT_TRUE(co_await c->expect(":troupe.chat 451 * :You have not registered")) << line << "\n"
                                                                                   << c->dump();
  }
  // PING works before registration, and registration still works after.
  EXPECT_TRUE(co_await c->sync());
  EXPECT_TRUE(co_await c->register_as("late")) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, CommandsBeforeRegistrationGet451) { EXPECT_TRUE(run(not_registered)); }

// --- commands ---------------------------------------------------------------

Task<Ending> unknown_and_missing(SocketAddress addr) {
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  CO_ASSERT(co_await c->send("FROB before"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 421 * FROB :Unknown command")) << c->dump();
  CO_ASSERT(co_await c->register_as("alice"), << c->dump());
  CO_ASSERT(co_await c->send("FROBNICATE now"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 421 alice FROBNICATE :Unknown command"))
      << c->dump();
  const std::vector<std::string> commands = {"JOIN", "PART", "TOPIC", "MODE"};
  for (const std::string& command : commands) {
    CO_ASSERT(co_await c->send(command));
    EXPECT_TRUE(co_await c->expect(":troupe.chat 461 alice " + command + " :Not enough parameters"))
        << c->dump();
  }
  CO_ASSERT(co_await c->send("PRIVMSG"));
  EXPECT_TRUE(co_await c->expect(" 411 alice :No recipient given (PRIVMSG)")) << c->dump();
  CO_ASSERT(co_await c->send("PRIVMSG #x"));
  EXPECT_TRUE(co_await c->expect(" 412 alice :No text to send")) << c->dump();
  CO_ASSERT(co_await c->send("PING"));
  EXPECT_TRUE(co_await c->expect(" 409 alice :No origin specified")) << c->dump();
  CO_ASSERT(co_await c->send("USER again 0 * :x"));
  EXPECT_TRUE(co_await c->expect(" 462 alice ")) << c->dump();
  CO_ASSERT(co_await c->send("JOIN nohash"));
  EXPECT_TRUE(co_await c->expect(" 403 alice nohash :No such channel")) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, UnknownCommandsGet421AndMissingParametersGet461) {
  EXPECT_TRUE(run(unknown_and_missing));
}

Task<Ending> fan_out(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(a && b && c);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  CO_ASSERT(co_await c->register_as("carol"), << c->dump());
  CO_ASSERT(co_await a->join("#room"), << a->dump());
  CO_ASSERT(co_await b->join("#room"), << b->dump());
  // Everyone in the room sees a newcomer join, and the newcomer the names.
  EXPECT_TRUE(co_await a->expect(":bob!bob@127.0.0.1 JOIN #room")) << a->dump();
  CO_ASSERT(co_await c->send("JOIN #Room"));  // channel names are case-insensitive
  EXPECT_TRUE(co_await c->expect(" 353 carol = #room :alice bob carol")) << c->dump();
  EXPECT_TRUE(co_await c->expect(" 366 carol #room :End of NAMES list")) << c->dump();

  CO_ASSERT(co_await a->send("PRIVMSG #room :hello, everyone"));
  const std::vector<TestClient*> members = {&*b, &*c};
  for (TestClient* member : members) {
    EXPECT_TRUE(co_await member->expect(":alice!alice@127.0.0.1 PRIVMSG #room :hello, everyone"))
        << member->dump();
  }
  CO_ASSERT(co_await b->send("NOTICE #ROOM :a notice"));
  EXPECT_TRUE(co_await a->expect(":bob!bob@127.0.0.1 NOTICE #room :a notice")) << a->dump();
  EXPECT_TRUE(co_await c->expect(":bob!bob@127.0.0.1 NOTICE #room :a notice")) << c->dump();
  // The sender does not get its own message back: the room would have
  // sent it to alice before bob's NOTICE, which she has seen.
  EXPECT_FALSE(contains(a->log, "PRIVMSG #room :hello")) << a->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, ChannelMessagesReachEveryOtherMember) { EXPECT_TRUE(run(fan_out)); }

Task<Ending> several_channels(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  CO_ASSERT(a && b);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  CO_ASSERT(co_await a->send("JOIN #one,#two,,#three"));
  // Each channel is its own room, answering on its own: in any order.
  const std::vector<std::string> names_ends = {" 366 alice #one ", " 366 alice #two ",
                                               " 366 alice #three "};
  EXPECT_TRUE(co_await a->expect_all(names_ends)) << a->dump();
  CO_ASSERT(co_await b->send("JOIN #two,#three"));
  const std::vector<std::string> bob_in = {" 366 bob #two ", " 366 bob #three "};
  CO_ASSERT(co_await b->expect_all(bob_in), << b->dump());
  // One PRIVMSG to two channels: bob is in both, so he gets it twice.
  CO_ASSERT(co_await a->send("PRIVMSG #one,#two,#three :multi"));
  const std::vector<std::string> both = {" PRIVMSG #two :multi", " PRIVMSG #three :multi"};
  EXPECT_TRUE(co_await b->expect_all(both)) << b->dump();
  auto rest = co_await b->sync();
  CO_ASSERT(rest);
  EXPECT_FALSE(contains(*rest, "#one")) << b->dump();
  CO_ASSERT(co_await b->send("LIST"));
  EXPECT_TRUE(co_await b->expect(" 321 bob Channel :Users  Name")) << b->dump();
  auto listed = co_await b->sync();
  CO_ASSERT(listed);
  EXPECT_TRUE(contains(*listed, " 322 bob #one 1 :")) << b->dump();
  EXPECT_TRUE(contains(*listed, " 322 bob #two 2 :")) << b->dump();
  EXPECT_TRUE(contains(*listed, " 322 bob #three 2 :")) << b->dump();
  EXPECT_TRUE(contains(*listed, " 323 bob :End of LIST")) << b->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, JoinTakesACommaListAndListShowsEveryChannel) {
  EXPECT_TRUE(run(several_channels));
}

Task<Ending> private_messages(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(a && b && c);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  CO_ASSERT(co_await c->register_as("carol"), << c->dump());
  CO_ASSERT(co_await a->send("PRIVMSG Bob :just between us"));
  EXPECT_TRUE(co_await b->expect(":alice!alice@127.0.0.1 PRIVMSG bob :just between us"))
      << b->dump();
  CO_ASSERT(co_await b->send("NOTICE alice :noted"));
  EXPECT_TRUE(co_await a->expect(":bob!bob@127.0.0.1 NOTICE alice :noted")) << a->dump();
  auto other = co_await c->sync();
  CO_ASSERT(other);
  EXPECT_FALSE(contains(*other, "between us")) << c->dump();
  CO_ASSERT(co_await a->send("PRIVMSG nobody :hello?"));
  EXPECT_TRUE(co_await a->expect(":troupe.chat 401 alice nobody :No such nick/channel"))
      << a->dump();
  CO_ASSERT(co_await a->send("PRIVMSG #nowhere :hello?"));
  EXPECT_TRUE(co_await a->expect(" 401 alice #nowhere :No such nick/channel")) << a->dump();
  // NOTICE never gets an error back.
  CO_ASSERT(co_await a->send("NOTICE nobody :hello?"));
  auto quiet = co_await a->sync();
  CO_ASSERT(quiet);
  EXPECT_FALSE(contains(*quiet, " 401 ")) << a->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, PrivateMessagesReachOnlyTheirNick) { EXPECT_TRUE(run(private_messages)); }

Task<Ending> part_topic_names_who(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  CO_ASSERT(a && b);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  CO_ASSERT(co_await a->join("#room"), << a->dump());
  CO_ASSERT(co_await b->join("#room"), << b->dump());
  CO_ASSERT(co_await b->send("TOPIC #room"));
  EXPECT_TRUE(co_await b->expect(" 331 bob #room :No topic is set")) << b->dump();
  CO_ASSERT(co_await a->send("TOPIC #room :Troupe talk"));
  EXPECT_TRUE(co_await b->expect(":alice!alice@127.0.0.1 TOPIC #room :Troupe talk")) << b->dump();
  EXPECT_TRUE(co_await a->expect(":alice!alice@127.0.0.1 TOPIC #room :Troupe talk")) << a->dump();
  CO_ASSERT(co_await b->send("TOPIC #room"));
  EXPECT_TRUE(co_await b->expect(" 332 bob #room :Troupe talk")) << b->dump();
  CO_ASSERT(co_await b->send("LIST #room"));
  EXPECT_TRUE(co_await b->expect(" 322 bob #room 2 :Troupe talk")) << b->dump();
  CO_ASSERT(co_await b->send("NAMES #room"));
  EXPECT_TRUE(co_await b->expect(" 353 bob = #room :alice bob")) << b->dump();
  CO_ASSERT(co_await b->send("WHO #room"));
  EXPECT_TRUE(
      co_await b->expect(" 352 bob #room alice 127.0.0.1 troupe.chat alice H :0 Test alice"))
      << b->dump();
  EXPECT_TRUE(co_await b->expect(" 315 bob #room :End of WHO list")) << b->dump();
  CO_ASSERT(co_await b->send("WHO alice"));
  EXPECT_TRUE(co_await b->expect(" 352 bob * alice 127.0.0.1 troupe.chat alice H ")) << b->dump();

  CO_ASSERT(co_await b->send("PART #room :see you"));
  EXPECT_TRUE(co_await a->expect(":bob!bob@127.0.0.1 PART #room :see you")) << a->dump();
  EXPECT_TRUE(co_await b->expect(":bob!bob@127.0.0.1 PART #room :see you")) << b->dump();
  CO_ASSERT(co_await b->send("PART #room"));
  EXPECT_TRUE(co_await b->expect(" 442 bob #room :You're not on that channel")) << b->dump();
  CO_ASSERT(co_await b->send("PRIVMSG #room :from outside"));
  EXPECT_TRUE(co_await b->expect(" 404 bob #room :Cannot send to channel")) << b->dump();
  CO_ASSERT(co_await b->send("PART #nowhere"));
  EXPECT_TRUE(co_await b->expect(" 403 bob #nowhere :No such channel")) << b->dump();
  CO_ASSERT(co_await b->send("TOPIC #nowhere"));
  EXPECT_TRUE(co_await b->expect(" 403 bob #nowhere :No such channel")) << b->dump();

  // The last one out empties the room: it is gone from LIST, and joining
  // again makes a fresh one, without the old topic.
  CO_ASSERT(co_await a->send("PART #room"));
  CO_ASSERT(co_await a->expect(":alice!alice@127.0.0.1 PART #room"), << a->dump());
  CO_ASSERT(co_await b->send("LIST"));
  CO_ASSERT(co_await b->expect(" 321 bob "), << b->dump());
  auto listed = co_await b->sync();
  CO_ASSERT(listed);
  EXPECT_FALSE(contains(*listed, "#room")) << b->dump();
  const std::size_t before = b->log.size();
  CO_ASSERT(co_await b->join("#room"), << b->dump());
  const std::vector<std::string> rejoined(b->log.begin() + static_cast<std::ptrdiff_t>(before),
                                          b->log.end());
  EXPECT_FALSE(contains(rejoined, " 332 ")) << b->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, PartTopicNamesListAndWho) { EXPECT_TRUE(run(part_topic_names_who)); }

Task<Ending> nick_change(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  CO_ASSERT(a && b);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  const std::vector<std::string> channels = {"#x", "#y"};
  for (const std::string& channel : channels) {
    CO_ASSERT(co_await a->join(channel), << a->dump());
    CO_ASSERT(co_await b->join(channel), << b->dump());
  }
  CO_ASSERT(co_await a->send("NICK alicia"));
  EXPECT_TRUE(co_await a->expect(":alice!alice@127.0.0.1 NICK :alicia")) << a->dump();
  EXPECT_TRUE(co_await b->expect(":alice!alice@127.0.0.1 NICK :alicia")) << b->dump();
  auto rest = co_await b->sync();
  CO_ASSERT(rest);
  EXPECT_EQ(count(*rest, " NICK "), 0u) << "bob shares two channels but hears it once\n"
                                        << b->dump();
  CO_ASSERT(co_await b->send("NAMES #y"));
  EXPECT_TRUE(co_await b->expect(" 353 bob = #y :alicia bob")) << b->dump();
  // The old nick is free, the new one taken.
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  CO_ASSERT(co_await c->send("NICK alicia"));
  EXPECT_TRUE(co_await c->expect(" 433 * alicia ")) << c->dump();
  EXPECT_TRUE(co_await c->register_as("alice")) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, ANickChangeIsSeenOnceByEveryPeer) { EXPECT_TRUE(run(nick_change)); }

// --- leaving ----------------------------------------------------------------

Task<Ending> quit(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  CO_ASSERT(a && b);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  const std::vector<std::string> channels = {"#x", "#y"};
  for (const std::string& channel : channels) {
    CO_ASSERT(co_await a->join(channel), << a->dump());
    CO_ASSERT(co_await b->join(channel), << b->dump());
  }
  CO_ASSERT(co_await a->send("QUIT :gone fishing"));
  EXPECT_TRUE(co_await a->expect("ERROR :Closing Link: 127.0.0.1 (Quit: gone fishing)"))
      << a->dump();
  EXPECT_TRUE(co_await a->closed()) << a->dump();
  EXPECT_TRUE(co_await b->expect(":alice!alice@127.0.0.1 QUIT :Quit: gone fishing")) << b->dump();
  auto rest = co_await b->sync();
  CO_ASSERT(rest);
  EXPECT_EQ(count(*rest, " QUIT "), 0u) << "bob shares two channels but hears it once\n"
                                        << b->dump();
  CO_ASSERT(co_await b->send("NAMES #x"));
  EXPECT_TRUE(co_await b->expect(" 353 bob = #x :bob")) << b->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, QuitSaysErrorClosesAndTellsEachPeerOnce) { EXPECT_TRUE(run(quit)); }

Task<Ending> abrupt_disconnect(SocketAddress addr) {
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  CO_ASSERT(a && b);
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  CO_ASSERT(co_await a->join("#room"), << a->dump());
  CO_ASSERT(co_await b->join("#room"), << b->dump());
  CO_ASSERT(co_await a->send("PRIVMSG #room :half a line\r\nPRIVMSG #room :and the oth"));
  CO_ASSERT(co_await b->expect(" PRIVMSG #room :half a line"), << b->dump());
  // A reset, not a goodbye: closing with a zero linger sends RST.
  CO_ASSERT(a->stream().set_linger(0s));
  a.reset();
  EXPECT_TRUE(co_await b->expect(":alice!alice@127.0.0.1 QUIT :Connection closed")) << b->dump();
  CO_ASSERT(co_await b->send("NAMES #room"));
  EXPECT_TRUE(co_await b->expect(" 353 bob = #room :bob")) << b->dump();
  // The nick is free for the next one.
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  EXPECT_TRUE(co_await c->register_as("alice")) << c->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, AnAbruptDisconnectLeavesTheRoomAndFreesTheNick) {
  EXPECT_TRUE(run(abrupt_disconnect));
}

Task<Ending> slow_client(SocketAddress addr) {
  auto slow = co_await TestClient::connect(addr);
  auto a = co_await TestClient::connect(addr);
  auto b = co_await TestClient::connect(addr);
  CO_ASSERT(slow && a && b);
  // A small receive buffer, so that the server's backlog for it grows soon.
  const int small = 4096;
  CO_ASSERT(::setsockopt(slow->stream().native_handle(), SOL_SOCKET, SO_RCVBUF, &small,
                         sizeof small) == 0);
  CO_ASSERT(co_await slow->register_as("slow"), << slow->dump());
  CO_ASSERT(co_await slow->join("#room"), << slow->dump());
  CO_ASSERT(co_await a->register_as("alice"), << a->dump());
  CO_ASSERT(co_await b->register_as("bob"), << b->dump());
  CO_ASSERT(co_await a->join("#room"), << a->dump());
  CO_ASSERT(co_await b->join("#room"), << b->dump());
  // From here on `slow` reads nothing. alice talks, bob listens and must
  // get every line, in order, while the server gives up on slow. Bob reads
  // each batch before the next is sent, so his backlog never exceeds one
  // batch: smaller than the limit (64), he cannot be the one dropped.
  constexpr int kBatch = 32;
  const std::string filler(300, 'z');
  const std::string dropped = ":slow!slow@127.0.0.1 QUIT :SendQ exceeded";
  int sent = 0;
  bool slow_dropped = false;
  for (int batch = 0; batch < 500 && !slow_dropped; ++batch) {
    std::string lines;
    for (int i = 0; i < kBatch; ++i, ++sent) {
      lines += "PRIVMSG #room :" + std::to_string(sent) + " " + filler + "\r\n";
    }
    CO_ASSERT(co_await a->send_raw(lines));
    for (int i = sent - kBatch; i < sent; ++i) {
      auto got =
          co_await b->expect(":alice!alice@127.0.0.1 PRIVMSG #room :" + std::to_string(i) + " ");
      CO_ASSERT(got, << "bob missed message " << i << "\n" << b->dump());
    }
    slow_dropped = contains(b->log, dropped);
  }
  if (!slow_dropped) slow_dropped = (co_await b->expect(dropped)).has_value();
  EXPECT_TRUE(slow_dropped) << "the server never dropped the client that does not read (" << sent
                            << " lines sent)";
  // The others go on as before.
  CO_ASSERT(co_await a->send("PRIVMSG #room :still here"));
  EXPECT_TRUE(co_await b->expect(":alice!alice@127.0.0.1 PRIVMSG #room :still here")) << b->dump();
  CO_ASSERT(co_await b->send("NAMES #room"));
  EXPECT_TRUE(co_await b->expect(" 353 bob = #room :alice bob")) << b->dump();
  // And the slow client's connection was closed: what it finally reads
  // ends.
  EXPECT_TRUE(co_await slow->closed(30s));
  co_return kRanToTheEnd;
}

TEST(ChatServer, AClientThatDoesNotReadIsDroppedWhileOthersKeepChatting) {
  chat::ServerOptions options = test_options();
  options.max_backlog = 64;
  options.socket_send_buffer = 4096;
  EXPECT_TRUE(run(slow_client, options));
}

// --- bad input --------------------------------------------------------------

Task<Ending> bad_input(SocketAddress addr) {
  auto c = co_await TestClient::connect(addr);
  CO_ASSERT(c);
  CO_ASSERT(co_await c->register_as("alice"), << c->dump());
  CO_ASSERT(co_await c->send_raw(std::string(10 * 1024, 'x') + "\r\n"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 417 alice :Input line was too long")) << c->dump();
  std::string garbage;
  for (int i = 0; i < 256; ++i) {
    if (i != '\r' && i != '\n') garbage.push_back(static_cast<char>(i));
  }
  CO_ASSERT(co_await c->send_raw(garbage + "\r\n"));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 421 alice * :Unknown command")) << c->dump();
  CO_ASSERT(co_await c->send_raw(std::string("\x80\xfe\x01 junk\r\n")));
  EXPECT_TRUE(co_await c->expect(":troupe.chat 421 alice ??? :Unknown command")) << c->dump();
  CO_ASSERT(co_await c->send_raw(":prefix.only\r\n\r\n   \r\n"));
  EXPECT_TRUE(co_await c->expect(" 421 alice * :Unknown command")) << c->dump();
  // Still answering, and still accepting others.
  EXPECT_TRUE(co_await c->sync());
  auto d = co_await TestClient::connect(addr);
  CO_ASSERT(d);
  EXPECT_TRUE(co_await d->register_as("dave")) << d->dump();
  co_return kRanToTheEnd;
}

TEST(ChatServer, OverLongLinesAndGarbageGetErrorsAndTheServerStaysUp) {
  EXPECT_TRUE(run(bad_input));
}

// --- shutdown ---------------------------------------------------------------

Task<std::optional<TestClient>> connect_registered(SocketAddress addr, std::string nick) {
  auto c = co_await TestClient::connect(addr);
  if (!c) co_return std::nullopt;
  const bool registered = co_await c->register_as(nick);
  if (!registered) co_return std::nullopt;
  co_return c;
}

Task<bool> said_goodbye(TestClient& c) {
  auto error = co_await c.expect("ERROR :Closing Link: 127.0.0.1 (Server shutting down)");
  const bool closed = co_await c.closed();
  co_return error.has_value() && closed;
}

TEST(ChatServer, StoppingTheServerSaysGoodbyeToEveryClient) {
  troupe::ActorSystem system({.workers = 2});
  chat::ChatServer server(system, test_options());
  auto address = server.start();
  ASSERT_TRUE(address) << address.error().message();
  auto alice = system.block_on(connect_registered(*address, "alice"));
  ASSERT_TRUE(alice);
  server.stop(5s);
  EXPECT_EQ(server.live_sessions(), 0u);
  EXPECT_TRUE(system.block_on(said_goodbye(*alice))) << alice->dump();
}

}  // namespace
