#include "chat/loadgen/loadgen.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <troupe/channels/channel.hpp>
#include <troupe/channels/mpsc.hpp>
#include <troupe/runtime/interval.hpp>
#include <troupe/runtime/join_handle.hpp>
#include <troupe/runtime/select.hpp>
#include <troupe/runtime/sleep.hpp>
#include <troupe/runtime/socket_address.hpp>
#include <troupe/runtime/spawn.hpp>
#include <troupe/runtime/tcp_stream.hpp>

#include "chat/irc_message.hpp"
#include "chat/line_reader.hpp"
#include "chat/outbox.hpp"
#include "chat/tcp_client_link.hpp"

namespace chat::loadgen {

namespace {

using namespace std::chrono_literals;
using troupe::Task;

// Lines from other servers may be longer than RFC 1459 says.
constexpr std::size_t kMaxServerLine = 8192;
// Registration and joining, per client.
constexpr troupe::Duration kSetupTimeout = 30s;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             troupe::Clock::now().time_since_epoch())
      .count();
}

// One sender's flow control, shared with the receivers in its room: every
// `receivers` in-order deliveries of its messages give it one credit back,
// so about `window` of its messages are in flight at a time.
struct SenderState {
  std::atomic<std::uint64_t> receipts{0};
  std::size_t receivers = 0;  // the other members of its room
  troupe::MpscSender<int> credit_tx;
  troupe::MpscReceiver<int> credit_rx;
};

// What one client saw. Written by its reader task only; read by the
// coordinator once that task is joined.
struct ClientState {
  std::size_t index = 0;
  std::size_t room = 0;
  std::string nick;
  std::string channel;
  std::vector<std::uint64_t> next;  // by the sender's place in the room (index / rooms)
  std::vector<float> latencies_ms;
  std::uint64_t delivered = 0, in_order = 0, duplicated = 0, reordered = 0, unexpected = 0;
  std::string read_error;  // the reader's
  std::string send_error;  // the sender's
};

// The whole run, shared by the coordinator and every client task.
struct Run {
  Options opt;
  troupe::SocketAddress address;
  std::vector<std::unique_ptr<SenderState>> senders;
  std::vector<std::unique_ptr<ClientState>> clients;
  std::atomic<std::uint64_t> outstanding{0};  // in-order deliveries still to come
  std::atomic<std::uint64_t> progress{0};     // deliveries of any kind so far
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::int64_t> last_delivery_ns{0};
  std::atomic<bool> aborted{false};          // setup failed: nobody sends
  std::atomic<bool> finishing{false};        // ERROR and EOF are expected from now on
  troupe::MpscSender<int> done_tx;           // one item once `outstanding` reaches 0
  troupe::MpscSender<std::string> ready_tx;  // per client: "" or what went wrong
  // A semaphore for connect_parallelism: a send takes a slot, a receive
  // gives it back.
  troupe::Sender<int> slots_tx;
  troupe::Receiver<int> slots_rx;
  // Signals: nothing is ever sent on these; closing them is the signal.
  troupe::Sender<int> go_tx;
  troupe::Receiver<int> go_rx;
  troupe::Sender<int> finish_tx;
  troupe::Receiver<int> finish_rx;
};

std::string_view param(const irc::Message& m, std::size_t i) {
  return i < m.params.size() ? std::string_view(m.params[i]) : std::string_view();
}

// Reads lines until the numeric `code`; "" then, else what went wrong.
Task<std::string> expect(troupe::Stream<InputLine>& lines, Outbox& out, std::string code,
                         troupe::Instant deadline) {
  for (;;) {
    auto r = co_await troupe::select(lines.next(), troupe::sleep_until(deadline));
    if (r.index() == 1) co_return "timed out waiting for " + code;
    auto& line = std::get<0>(r);
    if (!line) co_return "connection closed while waiting for " + code;
    const irc::ParseResult p = irc::parse(line->text);
    if (!p) continue;
    const irc::Message& m = *p.message;
    if (m.command == code) co_return "";
    if (m.command == "PING") {
      out.push("PONG :" + std::string(param(m, 0)));
    } else if (m.command == "ERROR" || m.command == "432" || m.command == "433" ||
               m.command == "451" || m.command == "403" || m.command == "405") {
      co_return line->text;
    }
  }
}

bool parse_number(std::string_view& text, std::int64_t& out) {
  const auto space = text.find(' ');
  const std::string_view word = text.substr(0, space);
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  if (ec != std::errc() || end != word.data() + word.size()) return false;
  text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
  return true;
}

// "lg <sender> <seq> <sent_ns> <filler>": checks it against what this
// client expects next from that sender.
void on_message(Run& run, ClientState& c, std::string_view text) {
  if (!text.starts_with("lg ")) return;  // not ours
  text.remove_prefix(3);
  std::int64_t sender = 0, seq = 0, sent_ns = 0;
  if (!parse_number(text, sender) || !parse_number(text, seq) || !parse_number(text, sent_ns)) {
    return;
  }
  ++c.delivered;
  run.progress.fetch_add(1, std::memory_order_relaxed);
  const std::size_t rooms = run.opt.rooms;
  if (sender < 0 || static_cast<std::size_t>(sender) >= run.clients.size() ||
      static_cast<std::size_t>(sender) % rooms != c.room ||
      static_cast<std::size_t>(sender) == c.index) {
    ++c.unexpected;
    return;
  }
  std::uint64_t& next = c.next[static_cast<std::size_t>(sender) / rooms];
  if (static_cast<std::uint64_t>(seq) < next) {
    ++c.duplicated;
    return;
  }
  if (static_cast<std::uint64_t>(seq) > next) {
    ++c.reordered;  // or some were lost; either way the run fails
    next = static_cast<std::uint64_t>(seq) + 1;
    return;
  }
  ++next;
  ++c.in_order;
  const std::int64_t now = now_ns();
  c.latencies_ms.push_back(static_cast<float>(static_cast<double>(now - sent_ns) / 1e6));
  run.last_delivery_ns.store(now, std::memory_order_relaxed);
  SenderState& s = *run.senders[static_cast<std::size_t>(sender)];
  if ((s.receipts.fetch_add(1, std::memory_order_relaxed) + 1) % s.receivers == 0) {
    (void)s.credit_tx.try_send(1);
  }
  if (run.outstanding.fetch_sub(1, std::memory_order_acq_rel) == 1) (void)run.done_tx.try_send(1);
}

Task<void> read_loop(std::shared_ptr<Run> run, ClientState& c, troupe::Stream<InputLine> lines,
                     troupe::MpscSender<std::string> pongs) {
  while (auto line = co_await lines.next()) {
    if (line->too_long) continue;
    const irc::ParseResult p = irc::parse(line->text);
    if (!p) continue;
    const irc::Message& m = *p.message;
    if (m.command == "PRIVMSG" && m.params.size() >= 2) {
      on_message(*run, c, m.params[1]);
    } else if (m.command == "PING") {
      (void)pongs.try_send(std::string(param(m, 0)));
    } else if (m.command == "ERROR" && !run->finishing.load() && c.read_error.empty()) {
      c.read_error = c.nick + ": " + line->text;
    }
  }
  if (!run->finishing.load() && c.read_error.empty()) {
    c.read_error = c.nick + ": connection closed by the server";
  }
}

// Sends this client's messages, within its window and at its pace.
Task<void> send_loop(std::shared_ptr<Run> run, ClientState& c, Outbox& out,
                     troupe::MpscReceiver<std::string>& pongs, troupe::Receiver<int>& finish) {
  const Options& opt = run->opt;
  SenderState& me = *run->senders[c.index];
  const bool windowed = opt.window > 0 && me.receivers > 0;
  std::optional<troupe::Interval> pace;
  if (opt.rate > 0) {
    const auto period = std::chrono::duration_cast<troupe::Duration>(
        std::chrono::duration<double>(static_cast<double>(opt.clients) / opt.rate));
    // Spread the clients over the period instead of all sending at once.
    co_await troupe::sleep_for(period * static_cast<std::int64_t>(c.index) /
                               static_cast<std::int64_t>(opt.clients));
    pace.emplace(troupe::interval(period));
  }
  const std::string head = "PRIVMSG " + c.channel + " :lg " + std::to_string(c.index) + " ";
  const std::string filler(opt.payload, 'x');
  for (std::size_t seq = 0; seq < opt.messages; ++seq) {
    while (auto token = pongs.try_recv()) out.push("PONG :" + token.value());
    if (windowed) {
      auto credit = me.credit_rx.recv();
      auto stop = finish.recv();
      auto r = co_await troupe::select(credit, stop);
      if (r.index() == 1) co_return;
    }
    if (pace) {
      auto tick = pace->tick();
      auto stop = finish.recv();
      auto r = co_await troupe::select(tick, stop);
      if (r.index() == 1) co_return;
    }
    std::string line = head;
    line += std::to_string(seq);
    line += ' ';
    line += std::to_string(now_ns());
    line += ' ';
    line += filler;
    if (out.push(line) != Outbox::Push::kQueued) {
      c.send_error = c.nick + ": could not send (backlog full or connection closed)";
      co_return;
    }
    run->sent.fetch_add(1, std::memory_order_relaxed);
  }
}

Task<void> client(std::shared_ptr<Run> run, std::size_t index) {
  ClientState& c = *run->clients[index];
  // Own clones: one task at a time per Receiver object.
  troupe::Receiver<int> go = run->go_rx;
  troupe::Receiver<int> finish = run->finish_rx;
  (void)co_await run->slots_tx.send(0);
  auto connected = co_await troupe::TcpStream::connect(run->address);
  if (!connected) {
    (void)run->slots_rx.try_recv();
    (void)run->ready_tx.try_send(c.nick + ": connect: " + connected.error().message());
    co_return;
  }
  auto link = std::make_shared<TcpClientLink>(std::move(*connected));
  (void)link->socket().set_nodelay(true);
  Outbox out(link, run->opt.window + 1024);
  auto lines = read_lines(link, kMaxServerLine);
  const troupe::Instant deadline = troupe::Clock::now() + kSetupTimeout;
  out.push("NICK " + c.nick);
  out.push("USER " + c.nick + " 0 * :troupe loadgen");
  std::string error = co_await expect(lines, out, "001", deadline);
  if (error.empty()) {
    out.push("JOIN " + c.channel);
    error = co_await expect(lines, out, "366", deadline);
  }
  (void)run->slots_rx.try_recv();
  (void)run->ready_tx.try_send(error.empty() ? std::string() : c.nick + ": " + error);
  if (!error.empty()) {
    co_await out.close(1s);
    co_return;
  }
  (void)co_await go.recv();  // closed: everyone is in, go
  auto [pong_tx, pong_rx] = troupe::channel::mpsc::unbounded<std::string>();
  auto reader = troupe::spawn(read_loop(run, c, std::move(lines), std::move(pong_tx)));
  if (!run->aborted.load()) co_await send_loop(run, c, out, pong_rx, finish);
  // Stay (answering PINGs) until every delivery is in or the run gives up.
  for (;;) {
    auto stop = finish.recv();
    auto r = co_await troupe::select(stop, pong_rx.recv());
    if (r.index() == 0) break;
    auto& token = std::get<1>(r);
    if (!token) {  // the reader is gone
      (void)co_await finish.recv();
      break;
    }
    out.push("PONG :" + *token);
  }
  out.push("QUIT :done");
  co_await out.close(5s);
  co_await reader;
}

double percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

Task<Report> run(Options options) {
  Report report;
  report.clients = options.clients;
  if (options.clients == 0 || options.rooms == 0) {
    report.error = "need at least one client and one room";
    co_return report;
  }
  auto address = troupe::SocketAddress::from_ip(options.host, options.port);
  if (!address) {
    report.error = "bad address " + options.host;
    co_return report;
  }
  auto run = std::make_shared<Run>();
  run->opt = options;
  run->address = *address;
  const std::size_t n = options.clients;
  const std::size_t rooms = options.rooms;
  auto room_size = [&](std::size_t r) { return n / rooms + (r < n % rooms ? 1 : 0); };
  std::uint64_t expected = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<SenderState>();
    s->receivers = room_size(i % rooms) - 1;
    auto [tx, rx] = troupe::channel::mpsc::unbounded<int>();
    for (std::size_t w = 0; w < options.window; ++w) (void)tx.try_send(1);
    s->credit_tx = std::move(tx);
    s->credit_rx = std::move(rx);
    expected += options.messages * s->receivers;
    run->senders.push_back(std::move(s));
    auto c = std::make_unique<ClientState>();
    c->index = i;
    c->room = i % rooms;
    c->nick = options.prefix + std::to_string(i);
    c->channel = "#" + options.prefix + std::to_string(i % rooms);
    c->next.assign(room_size(i % rooms), 0);
    c->latencies_ms.reserve(options.messages * room_size(i % rooms));
    run->clients.push_back(std::move(c));
  }
  run->outstanding.store(expected);
  auto [done_tx, done_rx] = troupe::channel::mpsc::unbounded<int>();
  run->done_tx = std::move(done_tx);
  auto [ready_tx, ready_rx] = troupe::channel::mpsc::unbounded<std::string>();
  run->ready_tx = std::move(ready_tx);
  std::tie(run->slots_tx, run->slots_rx) =
      troupe::channel::bounded<int>(std::max<std::size_t>(1, options.connect_parallelism));
  std::tie(run->go_tx, run->go_rx) = troupe::channel::bounded<int>(1);
  std::tie(run->finish_tx, run->finish_rx) = troupe::channel::bounded<int>(1);

  std::vector<troupe::JoinHandle<void>> handles;
  handles.reserve(n);
  for (std::size_t i = 0; i < n; ++i) handles.push_back(troupe::spawn(client(run, i)));
  for (std::size_t i = 0; i < n; ++i) {
    auto ready = co_await ready_rx.recv();
    if (ready && !ready->empty() && report.error.empty()) report.error = *ready;
  }
  if (!report.error.empty()) run->aborted.store(true);

  const std::int64_t start = now_ns();
  run->last_delivery_ns.store(start);
  run->go_tx.close();
  if (report.error.empty() && expected > 0) {
    // Until every delivery is in, or nothing has arrived for idle_timeout.
    std::uint64_t seen = 0;
    troupe::Instant last_progress = troupe::Clock::now();
    for (;;) {
      auto r = co_await troupe::select(done_rx.recv(), troupe::sleep_for(200ms));
      if (r.index() == 0) break;
      const std::uint64_t now_seen = run->progress.load();
      if (now_seen != seen) {
        seen = now_seen;
        last_progress = troupe::Clock::now();
      } else if (troupe::Clock::now() - last_progress > options.idle_timeout) {
        report.error = "timed out: nothing delivered for a while";
        break;
      }
    }
  }
  const std::int64_t end = run->last_delivery_ns.load();
  run->finishing.store(true);
  run->finish_tx.close();
  for (auto& h : handles) co_await h;

  std::vector<float> latencies;
  latencies.reserve(expected);
  for (auto& c : run->clients) {
    report.delivered += c->delivered;
    report.in_order += c->in_order;
    report.duplicated += c->duplicated;
    report.reordered += c->reordered;
    report.unexpected += c->unexpected;
    latencies.insert(latencies.end(), c->latencies_ms.begin(), c->latencies_ms.end());
    if (report.error.empty()) report.error = c->read_error;
    if (report.error.empty()) report.error = c->send_error;
  }
  report.sent = run->sent.load();
  report.expected = expected;
  report.missing = expected > report.in_order ? expected - report.in_order : 0;
  report.seconds = static_cast<double>(end - start) / 1e9;
  report.p50_ms = percentile(latencies, 0.50);
  report.p99_ms = percentile(latencies, 0.99);
  report.max_ms = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  co_return report;
}

std::string describe(const Options& o, const Report& r) {
  char buf[1024];
  std::string out;
  std::snprintf(buf, sizeof buf, "%zu clients in %zu rooms, %zu messages each, %s (window %zu)\n",
                o.clients, o.rooms, o.messages,
                o.rate > 0 ? (std::to_string(static_cast<long long>(o.rate)) + " msg/s").c_str()
                           : "as fast as possible",
                o.window);
  out += buf;
  std::snprintf(
      buf, sizeof buf,
      "  sent %llu messages; %llu deliveries expected, %llu received in %.3f s\n"
      "  throughput: %.0f deliveries/s (%.0f messages/s sent)\n"
      "  latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n"
      "  lost %llu, duplicated %llu, out of order %llu, unexpected %llu: %s\n",
      static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.expected),
      static_cast<unsigned long long>(r.delivered), r.seconds, r.deliveries_per_second(),
      r.sent_per_second(), r.p50_ms, r.p99_ms, r.max_ms, static_cast<unsigned long long>(r.missing),
      static_cast<unsigned long long>(r.duplicated), static_cast<unsigned long long>(r.reordered),
      static_cast<unsigned long long>(r.unexpected), r.ok() ? "OK" : "FAILED");
  out += buf;
  if (!r.error.empty()) out += "  error: " + r.error + "\n";
  return out;
}

}  // namespace chat::loadgen
