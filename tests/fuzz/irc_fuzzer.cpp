// libFuzzer target: the bytes an IRC client sends to troupe-chat, through
// the server's line splitting (LineSplitter) and parser (chat::irc::parse),
// then the helpers a session applies to what was parsed, and the replies
// it builds from it; then the same bytes as one client connection to a
// real chat server (chat_server_fixture.hpp), whose session must answer in
// well-formed lines, close after the client's EOF, and be counted gone.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/irc_message.hpp"
#include "chat/line_reader.hpp"
#include "chat/numerics.hpp"
#include "chat_server_fixture.hpp"
#include "fuzz_check.hpp"

namespace {

namespace irc = chat::irc;

constexpr std::string_view kServer = "troupe.chat";

std::vector<chat::InputLine> split(std::string_view bytes, std::size_t chunk) {
  chat::LineSplitter splitter;
  std::vector<chat::InputLine> lines;
  for (std::size_t at = 0; at < bytes.size(); at += chunk)
    splitter.feed(bytes.substr(at, chunk), lines);
  return lines;
}

bool same(const std::vector<chat::InputLine>& a, const std::vector<chat::InputLine>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].text != b[i].text || a[i].too_long != b[i].too_long) return false;
  }
  return true;
}

bool has_line_breaks(std::string_view s) {
  return s.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos;
}

bool all_printable(std::string_view s) {
  for (char c : s)
    if (c <= 32 || c >= 127) return false;
  return true;
}

// A line the server sends: one well-formed message, within the length limit.
void check_reply(const std::string& line) {
  FUZZ_CHECK(line.size() <= irc::kMaxLineLength, "a reply fits in one IRC line");
  FUZZ_CHECK(!has_line_breaks(line), "a reply cannot break into several lines");
  FUZZ_CHECK(irc::parse(line).message.has_value(), "a reply parses as a message");
}

// The helpers a session applies to a client's words.
void check_helpers(std::string_view word) {
  const std::string folded = irc::fold_case(word);
  FUZZ_CHECK(folded.size() == word.size() && irc::fold_case(folded) == folded,
             "case folding keeps the length and is idempotent");
  if (irc::valid_nick(word)) {
    FUZZ_CHECK(word.size() <= irc::kMaxNickLength && irc::valid_nick(folded),
               "a valid nick is short and stays valid when folded");
    check_reply(irc::format(irc::user_mask(word, "user", "host"), "NICK", {}, word));
  }
  if (irc::valid_channel(word)) {
    FUZZ_CHECK(word.size() <= irc::kMaxChannelLength && irc::is_channel(word) &&
                   irc::valid_channel(folded),
               "a valid channel is short, starts with '#' and stays valid when folded");
  }
  for (std::string_view item : irc::split_list(word)) {
    FUZZ_CHECK(!item.empty() && item.find(',') == std::string_view::npos,
               "list items are non-empty and hold no comma");
  }
  for (std::size_t max : {std::size_t{32}, irc::kMaxChannelLength}) {
    const std::string shown = irc::printable(word, max);
    FUZZ_CHECK(
        !shown.empty() && shown.size() <= max && all_printable(shown) && shown.front() != ':',
        "printable() gives a short, safe middle parameter");
  }
  check_reply(chat::numerics::erroneous_nick(kServer, "*", irc::printable(word)));
  check_reply(chat::numerics::no_such_channel(kServer, "*", irc::printable(word)));
}

// Formats `m` again (for up to three parameters: format takes its middle
// parameters as a braced list) and checks that it parses back the same.
void check_round_trip(const irc::Message& m) {
  const auto& p = m.params;
  std::string line;
  switch (p.size()) {
    case 0:
      line = irc::format(m.prefix, m.command, {});
      break;
    case 1:
      line = irc::format(m.prefix, m.command, {}, p[0]);
      break;
    case 2:
      line = irc::format(m.prefix, m.command, {p[0]}, p[1]);
      break;
    case 3:
      line = irc::format(m.prefix, m.command, {p[0], p[1]}, p[2]);
      break;
    default:
      return;
  }
  std::size_t full = (m.prefix.empty() ? 0 : m.prefix.size() + 2) + m.command.size();
  for (const auto& param : p) full += param.size() + 1;
  if (!p.empty()) ++full;                  // the trailing parameter's colon
  if (full > irc::kMaxLineLength) return;  // cut by format, as documented
  const irc::ParseResult again = irc::parse(line);
  FUZZ_CHECK(again.message && again.message->prefix == m.prefix &&
                 again.message->command == m.command && again.message->params == m.params,
             "a parsed message, formatted again, parses the same");
}

void check_message(const irc::Message& m) {
  const std::string_view c = m.command;
  const bool letters =
      !c.empty() && c.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos;
  const bool numeric = c.size() == 3 && c.find_first_not_of("0123456789") == std::string_view::npos;
  FUZZ_CHECK(letters || numeric, "a command is upper-case letters or three digits");
  FUZZ_CHECK(m.params.size() <= irc::kMaxParams, "at most 15 parameters");
  for (std::size_t i = 0; i + 1 < m.params.size(); ++i) {
    const std::string& middle = m.params[i];
    FUZZ_CHECK(!middle.empty() && middle.find(' ') == std::string::npos && middle.front() != ':',
               "a middle parameter is one word, not starting with ':'");
  }
  check_round_trip(m);
  check_helpers(m.prefix);
  for (const auto& param : m.params) check_helpers(param);
  check_reply(chat::numerics::unknown_command(kServer, "*", m.command));
}

void check_line(const chat::InputLine& line) {
  if (line.too_long) {
    FUZZ_CHECK(line.text.empty(), "a line too long keeps none of its bytes");
    check_reply(chat::numerics::input_too_long(kServer, "*"));
    return;
  }
  FUZZ_CHECK(line.text.size() <= irc::kMaxLineLength, "a line is within the length limit");
  FUZZ_CHECK(line.text.find('\n') == std::string::npos, "a line holds no LF");
  const irc::ParseResult parsed = irc::parse(line.text);
  if (parsed.message) {
    check_message(*parsed.message);
    return;
  }
  switch (parsed.error) {
    case irc::ParseError::kEmpty:
      return;
    case irc::ParseError::kBadCharacter:
      FUZZ_CHECK(has_line_breaks(line.text), "only NUL, CR and LF are bad characters");
      break;
    case irc::ParseError::kNoCommand:
    case irc::ParseError::kBadCommand:
      break;
  }
  FUZZ_CHECK(!parsed.token.empty() && all_printable(parsed.token),
             "the token echoed in a 421 is printable");
  check_reply(chat::numerics::unknown_command(kServer, "*", parsed.token));
}

// What the server wrote to one client: CR LF terminated lines of at most
// 512 bytes, CR LF included, with no NUL and no other CR or LF.
void check_server_output(std::string_view out) {
  while (!out.empty()) {
    const std::size_t end = out.find("\r\n");
    FUZZ_CHECK(end != std::string_view::npos, "every line the server sends ends in CR LF");
    const std::string_view line = out.substr(0, end);
    FUZZ_CHECK(line.size() + 2 <= 512,
               "a line the server sends is at most 512 bytes with its CR LF");
    FUZZ_CHECK(!has_line_breaks(line), "a line the server sends holds no NUL, CR or LF");
    out.remove_prefix(end + 2);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::vector<chat::InputLine> lines = split(bytes, bytes.size() + 1);
  // TCP cuts the stream anywhere: any cut must give the same lines.
  FUZZ_CHECK(same(lines, split(bytes, 1)), "lines do not depend on how the bytes arrive");
  if (size > 0) {
    FUZZ_CHECK(same(lines, split(bytes, 1 + data[0] % 61)),
               "lines do not depend on how the bytes arrive");
  }
  for (const chat::InputLine& line : lines) check_line(line);

  auto& server = troupe::fuzz::ChatServerFixture::instance();
  check_server_output(server.converse(bytes));
  FUZZ_CHECK(server.sessions_drain(), "the session is counted gone within 5 s of its end");
  return 0;
}
