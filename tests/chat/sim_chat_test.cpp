// The chat split over two nodes, under simulation: the rooms node ("r":
// the Registry and the Rooms) and the connections node ("c": the
// Sessions, with clients on in-memory links), the production chat and
// remote code on a SimNetwork, while the test partitions the two, crashes
// and restarts the rooms node, and now and then crashes the connections
// node. Whatever the faults, no client gets a line twice or out of order;
// when the connection between the nodes held throughout, every client gets
// every line of every other. When the connections node loses the rooms
// node, its clients are disconnected and it attaches again.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/task.hpp>
#include <troupe/sim/gtest.hpp>
#include <troupe/sim/sim_network.hpp>

#include "chat/irc_message.hpp"
#include "chat/line_reader.hpp"
#include "chat/server.hpp"
#include "memory_link.hpp"

namespace sim_chat_test {

using namespace std::chrono_literals;
using chat::test::MemoryLink;
using troupe::SimContext;
using troupe::SimNetwork;
using troupe::SimNode;
using troupe::Task;

constexpr int kClients = 3;
constexpr int kLines = 15;

struct Client {
  Client() {
    auto [tx, rx] = troupe::channel::mpsc::unbounded<bool>();
    start_tx = std::move(tx);
    start_rx = std::move(rx);
  }
  std::string nick;
  std::shared_ptr<MemoryLink> link;  // the client's end
  // Closed once every client is in #sim: the lines said before a client
  // joined are not for it, so nobody talks before.
  troupe::MpscSender<bool> start_tx;
  troupe::MpscReceiver<bool> start_rx;
  std::map<std::string, int> last;  // per sender: the last line number seen
  int received = 0;
  bool lost_rooms = false;  // it got the ERROR line of a lost rooms node
  bool ended = false;       // the server closed its connection
};

struct Ledger {
  std::vector<Client> clients;
  int lines = kLines;  // each client says
  int joined = 0;
  std::string wrong;
  void note_wrong(std::string what) {
    if (wrong.empty()) wrong = std::move(what);
  }
};

chat::ServerOptions options() {
  chat::ServerOptions o;
  o.port = 0;
  o.max_connections_per_address = 0;  // every simulated client comes from one address
  o.ask_timeout = 1s;
  return o;
}

// Reads what the server sends `c`: each "<nick> <n>" line said in #sim
// must come after the one before it from that nick.
Task<void> read(Ledger& l, Client& c) {
  auto lines = chat::read_lines(c.link);
  while (auto line = co_await lines.next()) {
    auto parsed = chat::irc::parse(line->text);
    if (!parsed) continue;
    const chat::irc::Message* m = &*parsed.message;
    if (m->command == "366" && m->params.size() >= 2 && m->params[1] == "#sim" &&
        ++l.joined == static_cast<int>(l.clients.size())) {
      for (Client& other : l.clients) other.start_tx.close();
    }
    if (m->command == "ERROR" && line->text.find("Lost the rooms node") != std::string::npos)
      c.lost_rooms = true;
    if (m->command != "PRIVMSG" || m->params.size() != 2 || m->params[0] != "#sim") continue;
    const std::string& text = m->params[1];
    const auto space = text.find(' ');
    if (space == std::string::npos) continue;
    const std::string from = text.substr(0, space);
    const int n = std::stoi(text.substr(space + 1));
    auto [it, first] = c.last.try_emplace(from, n);
    if (!first && n <= it->second) {
      l.note_wrong(c.nick + " got line " + std::to_string(n) + " of " + from + " after line " +
                   std::to_string(it->second));
    }
    it->second = n;
    ++c.received;
  }
  c.ended = true;
}

// Registers, joins #sim, waits for the others to be in, then says its
// lines at random intervals.
Task<void> talk(SimContext& sim, Client& c, int lines) {
  auto say = [&c](const std::string& line) -> Task<bool> {
    const std::string wire = line + "\r\n";
    auto written = co_await c.link->write_all(std::as_bytes(std::span(wire)));
    co_return written.has_value();
  };
  const bool registered =
      co_await say("NICK " + c.nick + "\r\nUSER " + c.nick + " 0 * :" + c.nick + "\r\nJOIN #sim");
  if (!registered) co_return;
  (void)co_await c.start_rx.next();
  for (int n = 0; n < lines; ++n) {
    const auto pause = sim.random().duration(0ms, 20ms);
    co_await troupe::sleep_for(pause);
    const bool said = co_await say("PRIVMSG #sim :" + c.nick + " " + std::to_string(n));
    if (!said) co_return;
  }
}

// The split server: the rooms node "r" and the connections node "c",
// attached, with a ChatServer on each.
struct Split {
  explicit Split(SimContext& sim)
      : net(std::make_shared<SimNetwork>(sim)),
        rooms(sim, net, "r"),
        connections(sim, net, "c", {"r"}) {
    rooms.on_start = [](SimNode& n) {
      n.keep(std::make_unique<chat::ChatServer>(n.system(), options())).serve_rooms(n.node());
    };
    connections.on_start = [this](SimNode& n) {
      server = &n.keep(std::make_unique<chat::ChatServer>(n.system(), options()));
    };
    rooms.start();
    connections.start();
  }

  // As a server would at its start: until the rooms node answers (the
  // scheduler may stall the whole "machine" for a while).
  bool attach(SimContext& sim) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      if (sim.scheduler().block_on(server->attach_to_rooms(connections.node(), "r", 2s)))
        return true;
    }
    return false;
  }

  // `n` clients into `l`, served by the connections node, each reading and
  // saying l.lines lines in #sim; false if one was not served.
  bool serve(SimContext& sim, Ledger& l, int n, std::vector<troupe::JoinHandle<void>>& tasks) {
    l.clients.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      Client& c = l.clients[static_cast<std::size_t>(i)];
      c.nick = std::to_string(++clients);
      c.nick.insert(0, 1, 'n');  // not "n" + ...: a false -Wrestrict in g++ 12 -O3
      auto [client_end, server_end] = MemoryLink::pair();
      c.link = client_end;
      const bool served = sim.scheduler().block_on(server->serve(server_end, "10.0.0.1"));
      if (!served) return false;
      tasks.push_back(sim.scheduler().spawn(read(l, c)));
      tasks.push_back(sim.scheduler().spawn(talk(sim, c, l.lines)));
    }
    return true;
  }

  std::shared_ptr<SimNetwork> net;
  SimNode rooms;
  SimNode connections;
  chat::ChatServer* server = nullptr;  // the connections node's, while it is up
  int clients = 0;
};

void scenario(SimContext& sim) {
  Ledger l;
  std::vector<troupe::JoinHandle<void>> tasks;
  Split split(sim);
  auto& net = split.net;
  auto& rooms = split.rooms;
  auto& connections = split.connections;
  const std::uint64_t ended_before = net->ended_connections();
  if (!sim.check(split.attach(sim), "the connections node could not attach to the rooms node"))
    return;
  sim.invariant("no line twice or out of order", [&] { return l.wrong.empty(); });
  if (!sim.check(split.serve(sim, l, kClients, tasks), "a client was not served")) return;

  bool cut = false;
  for (int round = 0; round < 30; ++round) {
    const auto roll = sim.random().below(30);
    if (roll == 0 && !cut && sim.fault("partition c | r")) {
      net->partition("c", "r");
      cut = true;
    } else if (roll == 1 && cut) {
      net->heal("c", "r");
      cut = false;
    } else if (roll == 2 && rooms.up() && sim.fault("crash r")) {
      rooms.crash();
    } else if (roll == 3 && !rooms.up()) {
      rooms.start();
    } else if (roll == 4 && connections.up() && sim.fault("crash c")) {
      split.server = nullptr;
      connections.crash();  // its clients' links end with it
    }
    sim.scheduler().run_for(sim.random().duration(1ms, 30ms));
  }
  net->heal_all();
  sim.scheduler().run_for(5s);
  // Lines on their way are lost with a connection, and so are the rooms'
  // members on the other node (the rooms node takes a lost connection for
  // a lost node, as Erlang does: its sessions are gone for it, and later
  // lines from them are refused). A stall of the whole machine (the
  // scheduler's clock jumping while tasks are ready) can end one without
  // a fault.
  const bool held = net->ended_connections() == ended_before;

  sim.check(l.wrong.empty(), l.wrong);
  if (sim.faults() == 0 && held) {
    for (const Client& c : l.clients) {
      sim.check(c.received == (kClients - 1) * kLines,
                c.nick + " got " + std::to_string(c.received) + " lines of " +
                    std::to_string((kClients - 1) * kLines) + " without a fault");
    }
  }
  for (auto& t : tasks) t.cancel();
  sim.scheduler().run_until_idle();
}

TEST(SimChat, NoClientGetsALineTwiceOrOutOfOrderUnderPartitionsAndCrashes) {
  troupe::simulate(scenario);
}

// The connections node loses the rooms node (a partition longer than the
// keepalive, or a crash and restart): the rooms node has forgotten its
// sessions, so it disconnects its clients (an ERROR line) rather than leave
// them talking into the void, attaches again, and clients that connect
// after that chat as before.
void rooms_lost(SimContext& sim) {
  Ledger before;
  Ledger after;
  before.lines = after.lines = 3;
  std::vector<troupe::JoinHandle<void>> tasks;
  Split split(sim);
  if (!sim.check(split.attach(sim), "the connections node could not attach")) return;
  if (!sim.check(split.serve(sim, before, 2, tasks), "a client was not served")) return;
  sim.scheduler().run_for(2s);
  for (const Client& c : before.clients)
    sim.check(c.received == 3, c.nick + " got " + std::to_string(c.received) + " of 3 lines");

  if (sim.random().chance(1, 2)) {
    sim.note("partition c | r for 3 s");
    split.net->partition("c", "r");
    sim.scheduler().run_for(3s);
    split.net->heal("c", "r");
  } else {
    split.rooms.crash();
    split.rooms.start();
  }
  sim.scheduler().run_for(5s);
  for (const Client& c : before.clients) {
    sim.check(c.lost_rooms && c.ended, c.nick + " was not disconnected when the rooms were lost");
  }

  if (!sim.check(split.serve(sim, after, 2, tasks), "a client was not served")) return;
  sim.scheduler().run_for(3s);
  for (const Client& c : after.clients) {
    sim.check(c.received == 3, c.nick + " got " + std::to_string(c.received) +
                                   " of 3 lines after the connections node attached again");
  }
  sim.check(before.wrong.empty() && after.wrong.empty(), before.wrong + after.wrong);
  for (auto& t : tasks) t.cancel();
  sim.scheduler().run_until_idle();
}

TEST(SimChat, ALostRoomsNodeDisconnectsItsClientsAndTheConnectionsNodeAttachesAgain) {
  troupe::SimOptions options;
  options.runs = 200;
  // No stalls of the whole machine here: one long enough for the keepalive
  // would lose the rooms before the test does.
  options.scheduler.time_jump_per_mille = 0;
  troupe::simulate(rooms_lost, options);
}

}  // namespace sim_chat_test
