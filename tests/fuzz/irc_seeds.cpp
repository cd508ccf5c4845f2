// Seeds of troupe-irc-fuzzer: what IRC clients send (each command the
// server knows, formatted by the chat's own irc::format), and the byte
// streams a parser gets wrong: overlong lines, bare CRs, NULs, invalid
// UTF-8, too many parameters.

#include <initializer_list>
#include <string>
#include <string_view>

#include "chat/irc_message.hpp"
#include "seeds.hpp"

namespace troupe::fuzz {

namespace {

namespace irc = chat::irc;

// `lines`, each ending in CR LF, as a client sends them.
std::string session(std::initializer_list<std::string> lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\r\n";
  return out;
}

}  // namespace

Seeds irc_seeds() {
  using irc::format;
  using namespace std::string_literals;
  const std::string alice = irc::user_mask("alice", "al", "127.0.0.1");
  Seeds s;
  s.push_back(
      {"registration", session({format("", "CAP", {"LS", "302"}), format("", "NICK", {"alice"}),
                                format("", "USER", {"al", "0", "*"}, "Alice Liddell"),
                                format("", "CAP", {"REQ"}, "multi-prefix"),
                                format("", "CAP", {"END"}), format("", "PASS", {"x"})})});
  s.push_back({"channel-commands",
               session({format("", "JOIN", {"#troupe,#Chat[1]"}),
                        format("", "PRIVMSG", {"#troupe"}, "hello, everyone"),
                        format("", "NOTICE", {"bob"}, "psst"), format("", "TOPIC", {"#troupe"}),
                        format("", "TOPIC", {"#troupe"}, "actors all the way down"),
                        format("", "NAMES", {"#troupe,#none"}), format("", "LIST", {}),
                        format("", "LIST", {"#troupe"}), format("", "WHO", {"#troupe"}),
                        format("", "MODE", {"#troupe"}), format("", "MODE", {"#troupe", "+b"}),
                        format("", "MODE", {"alice"}), format("", "MOTD", {}),
                        format("", "PART", {"#troupe"}, "bye"), format("", "JOIN", {"0"})})});
  s.push_back({"ping-and-quit", session({format("", "PING", {}, "token"), format("", "PONG", {"x"}),
                                         format("", "QUIT", {}, "gone fishing")})});
  s.push_back({"prefix-and-tags", "@time=2024-01-01T00:00:00Z;msgid=1 " +
                                      format(alice, "PRIVMSG", {"#c"}, "hi") + "\r\n"});
  s.push_back({"numeric-reply", session({format("troupe.chat", "001", {"alice"}, "Welcome")})});
  s.push_back({"nick-edge-cases",
               session({format("", "NICK", {"[a]\\b`_^{|}-9"}), format("", "NICK", {"9lives"}),
                        format("", "NICK", {std::string(irc::kMaxNickLength + 1, 'n')}),
                        format("", "NICK", {"a~b"}), format("", "NICK", {})})});
  s.push_back({"channel-edge-cases",
               session({format("", "JOIN", {"#"}), format("", "JOIN", {",,#a,,"}),
                        format("", "JOIN", {"#" + std::string(irc::kMaxChannelLength, 'c')}),
                        format("", "JOIN",
                               {"#a\x07"
                                "b"}),
                        format("", "JOIN", {"#A[]\\~"})})});

  s.push_back({"empty", ""});
  s.push_back({"blank-lines", "\r\n\n   \r\n \n"});
  s.push_back({"too-many-params", "PRIVMSG a b c d e f g h i j k l m n o p q r s :trailing\r\n"});
  s.push_back({"bad-commands", "PR1VMSG #a :x\r\n12 x\r\n1234\r\n:prefix.only\r\n:\r\n@tags\r\n"});
  s.push_back({"nul-byte", "PRIVMSG #a :he\0llo\r\nNICK a\0b\r\n"s});
  s.push_back({"bare-cr", "PRIVMSG #a :one\rtwo\r\r\nPING \r\n"});
  s.push_back({"lf-only", "NICK bob\nUSER b 0 * :Bob\nJOIN #x\n"});
  s.push_back({"no-final-newline", "NICK carol\r\nPRIVMSG #x :unfinished"});
  s.push_back({"invalid-utf8", "PRIVMSG #a :\xff\xfe\xc0\x80\xed\xa0\x80\r\nNICK \xc3\r\n"});
  s.push_back({"line-at-limit", std::string(irc::kMaxLineLength, 'A') + "\r\n" +
                                    std::string(irc::kMaxLineLength + 1, 'B') + "\r\n"});
  s.push_back({"overlong-line-then-command",
               "PRIVMSG #a :" + std::string(700, 'x') + "\r\nPING :still-here\r\n"});
  s.push_back({"spaces-everywhere", "   :p   NICK    a   b  :  c  \r\n"});
  return s;
}

}  // namespace troupe::fuzz
