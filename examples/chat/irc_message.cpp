#include "chat/irc_message.hpp"

#include <algorithm>

namespace chat::irc {

namespace {

bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_special(char c) noexcept {
  return c == '[' || c == ']' || c == '\\' || c == '`' || c == '_' || c == '^' || c == '{' ||
         c == '|' || c == '}';
}

bool valid_command(std::string_view c) noexcept {
  if (c.empty()) return false;
  if (c.size() == 3 && std::all_of(c.begin(), c.end(), is_digit)) return true;
  return std::all_of(c.begin(), c.end(), is_letter);
}

std::string_view skip_spaces(std::string_view s) noexcept {
  const auto n = s.find_first_not_of(' ');
  return n == std::string_view::npos ? std::string_view() : s.substr(n);
}

// Splits off the word before the next space.
std::string_view take_word(std::string_view& s) noexcept {
  const auto n = s.find(' ');
  const std::string_view word = s.substr(0, n);
  s = n == std::string_view::npos ? std::string_view() : s.substr(n + 1);
  return word;
}

}  // namespace

ParseResult parse(std::string_view line) {
  ParseResult r;
  if (line.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos) {
    r.error = ParseError::kBadCharacter;
    r.token.assign(1, '*');  // not = "*": a false -Wrestrict in g++ 12 -O3
    return r;
  }
  std::string_view rest = skip_spaces(line);
  if (!rest.empty() && rest.front() == '@') {  // IRCv3 tags: not ours to interpret
    take_word(rest);
    rest = skip_spaces(rest);
  }
  if (rest.empty()) {
    r.error = ParseError::kEmpty;
    return r;
  }
  Message m;
  if (rest.front() == ':') {
    m.prefix = std::string(take_word(rest).substr(1));
    rest = skip_spaces(rest);
    if (rest.empty()) {
      r.error = ParseError::kNoCommand;
      r.token.assign(1, '*');  // not = "*": a false -Wrestrict in g++ 12 -O3
      return r;
    }
  }
  const std::string_view command = take_word(rest);
  if (!valid_command(command)) {
    r.error = ParseError::kBadCommand;
    r.token = printable(command);
    return r;
  }
  m.command.reserve(command.size());
  for (char c : command) m.command.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  for (;;) {
    rest = skip_spaces(rest);
    if (rest.empty()) break;
    if (rest.front() == ':' || m.params.size() == kMaxParams - 1) {
      if (rest.front() == ':') rest.remove_prefix(1);
      m.params.emplace_back(rest);
      break;
    }
    m.params.emplace_back(take_word(rest));
  }
  r.message = std::move(m);
  return r;
}

std::string format(std::string_view prefix, std::string_view command,
                   std::initializer_list<std::string_view> middle,
                   std::optional<std::string_view> trailing) {
  std::string out;
  out.reserve(64 + (trailing ? trailing->size() : 0));
  if (!prefix.empty()) {
    out += ':';
    out += prefix;
    out += ' ';
  }
  out += command;
  for (std::string_view p : middle) {
    out += ' ';
    out += p;
  }
  if (trailing) {
    out += " :";
    out += *trailing;
  }
  if (out.size() > kMaxLineLength) out.resize(kMaxLineLength);
  return out;
}

bool one_line(std::string_view text) noexcept {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string fold_case(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    } else if (c == '[') {
      c = '{';
    } else if (c == ']') {
      c = '}';
    } else if (c == '\\') {
      c = '|';
    } else if (c == '~') {
      c = '^';
    }
  }
  return out;
}

bool valid_nick(std::string_view nick) {
  if (nick.empty() || nick.size() > kMaxNickLength) return false;
  if (!is_letter(nick.front()) && !is_special(nick.front())) return false;
  return std::all_of(nick.begin() + 1, nick.end(), [](char c) {
    return is_letter(c) || is_digit(c) || is_special(c) || c == '-';
  });
}

bool valid_channel(std::string_view channel) {
  if (channel.size() < 2 || channel.size() > kMaxChannelLength || channel.front() != '#') {
    return false;
  }
  return channel.find_first_of(std::string_view("\0\a\r\n ,:", 7)) == std::string_view::npos;
}

std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> items;
  while (!list.empty()) {
    const auto n = list.find(',');
    const std::string_view item = list.substr(0, n);
    if (!item.empty()) items.push_back(item);
    if (n == std::string_view::npos) break;
    list.remove_prefix(n + 1);
  }
  return items;
}

std::string user_mask(std::string_view nick, std::string_view user, std::string_view host) {
  std::string out;
  out.reserve(nick.size() + user.size() + host.size() + 2);
  out += nick;
  out += '!';
  out += user;
  out += '@';
  out += host;
  return out;
}

std::string printable(std::string_view s, std::size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) out.push_back(c > 32 && c < 127 ? c : '?');
  if (out.empty()) return "*";
  if (out.front() == ':') out.front() = '?';  // would start a trailing parameter
  return out;
}

}  // namespace chat::irc
