// Seeds of troupe-irc-fuzzer: what IRC clients send (each command the
// server knows, formatted by the chat's own irc::format), and the byte
// streams a parser gets wrong: overlong lines, bare CRs, NULs, invalid
// UTF-8, too many parameters. The "server-" ones are whole client
// sessions for the target's real server: registration (NICK and USER),
// then the commands a registered session handles, hostile bytes among them.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

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

// `session` after NICK `nick` and USER: what a registered client sends.
std::string registered(const std::string& nick, const std::string& after) {
  return session({irc::format("", "NICK", {nick}),
                  irc::format("", "USER", {nick, "0", "*"}, "Fuzz " + nick)}) +
         after;
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

  // Whole sessions against the target's server.
  s.push_back(
      {"server-chat-session",
       registered("alice",
                  session({format("", "JOIN", {"#troupe"}),
                           format("", "PRIVMSG", {"#troupe"}, "hello, everyone"),
                           format("", "TOPIC", {"#troupe"}, "actors all the way down"),
                           format("", "TOPIC", {"#troupe"}), format("", "NAMES", {"#troupe"}),
                           format("", "WHO", {"#troupe"}), format("", "WHO", {"alice"}),
                           format("", "MODE", {"#troupe"}), format("", "MODE", {"#troupe", "b"}),
                           format("", "MODE", {"alice"}), format("", "PRIVMSG", {"alice"}, "me"),
                           format("", "NOTICE", {"#troupe"}, "note"), format("", "LIST", {}),
                           format("", "MOTD", {}), format("", "PING", {}, "tok"),
                           format("", "PONG", {}, "tok"), format("", "PART", {"#troupe"}, "bye"),
                           format("", "QUIT", {}, "done")}))});
  s.push_back(
      {"server-two-channels",
       registered(
           "bob",
           session({format("", "JOIN", {"#a,#B"}), format("", "PRIVMSG", {"#a,#b"}, "to both"),
                    format("", "PART", {"#A"}), format("", "PRIVMSG", {"#a"}, "not a member"),
                    format("", "TOPIC", {"#b"}, "b's topic"), format("", "NAMES", {"#a,#b"}),
                    format("", "LIST", {}), format("", "JOIN", {"0"}),
                    format("", "NAMES", {"#b"})}))});
  s.push_back(
      {"server-cap-negotiation",
       session({format("", "CAP", {"LS", "302"}), format("", "NICK", {"capper"}),
                format("", "USER", {"cap", "0", "*"}, "Cap"),
                format("", "CAP", {"REQ"}, "multi-prefix sasl"), format("", "CAP", {"LIST"}),
                format("", "JOIN", {"#early"}), format("", "CAP", {"END"}),
                format("", "JOIN", {"#late"}), format("", "CAP", {"BOGUS"})})});
  s.push_back(
      {"server-long-lines",
       registered(
           std::string(irc::kMaxNickLength, 'n'),
           session({format("", "JOIN", {"#" + std::string(irc::kMaxChannelLength - 1, 'c')}),
                    format("", "TOPIC", {"#" + std::string(irc::kMaxChannelLength - 1, 'c')},
                           std::string(440, 't')),
                    format("", "TOPIC", {"#" + std::string(irc::kMaxChannelLength - 1, 'c')}),
                    format("", "PRIVMSG", {std::string(irc::kMaxNickLength, 'n')},
                           std::string(450, 'm')),
                    "PRIVMSG #c :" + std::string(700, 'x'), format("", "PING", {}, "after")}))});
  s.push_back(
      {"server-nul-bytes", registered("nul",
                                      "JOIN #a\0b\r\nJOIN #ok\r\nPRIVMSG #ok :he\0llo\r\nNICK "
                                      "n\0l\r\nTOPIC #ok :t\0t\r\nPING :x\r\n"s)});
  s.push_back({"server-bare-cr",
               "NICK crcr\rUSER cr 0 * :CR\r\nJOIN #cr\rPRIVMSG #cr :one\rtwo\r\n"
               "USER cr 0 * :CR\r\nJOIN #cr\r\nPRIVMSG #cr :x\r\r\n"});
  s.push_back({"server-invalid-utf8",
               registered("utf",
                          "JOIN #\xff\xfe\r\nJOIN #caf\xc3\r\nPRIVMSG #caf\xc3 :\xed\xa0\x80\r\n"
                          "TOPIC #caf\xc3 :\xc0\x80\r\nNICK \xc3\xa9t\xc3\r\n"
                          "PRIVMSG utf :\xf4\x90\x80\x80\r\n")});
  std::vector<std::string> joins;
  for (int i = 0; i < 60; ++i) joins.push_back(format("", "JOIN", {"#f" + std::to_string(i)}));
  std::string flood;
  for (const auto& j : joins) flood += j + "\r\n";
  s.push_back({"server-join-flood",
               registered("flood", flood + session({format("", "JOIN", {"#x,#y,#z,#w"}),
                                                    format("", "PRIVMSG", {"#f0,#f49,#f50"}, "hi"),
                                                    format("", "JOIN", {"0"})}))});
  s.push_back(
      {"server-nick-self-collision",
       registered("alice", session({format("", "NICK", {"alice"}), format("", "NICK", {"ALICE"}),
                                    format("", "NICK", {"Alice"}), format("", "NICK", {}),
                                    format("", "NICK", {"9bad"}), format("", "NICK", {"bob"}),
                                    format("", "NICK", {"alice"}), format("", "JOIN", {"#n"}),
                                    format("", "NICK", {"eve"}), format("", "WHO", {"#n"})}))});
  s.push_back({"server-quit-midway",
               registered("quitter", session({format("", "JOIN", {"#q"}),
                                              format("", "QUIT", {}, "leaving early"),
                                              format("", "PRIVMSG", {"#q"}, "after quit"),
                                              format("", "JOIN", {"#r"})}))});
  s.push_back({"server-before-registration",
               session({format("", "JOIN", {"#a"}), format("", "PRIVMSG", {"#a"}, "x"),
                        format("", "PING", {}, "p"), format("", "USER", {"u", "0", "*"}, "U"),
                        format("", "FOO", {}), format("", "USER", {}), format("", "NICK", {"late"}),
                        format("", "USER", {"u", "0", "*"}, "again"), format("", "PASS", {"x"}),
                        format("", "JOIN", {"#a"})})});
  s.push_back(
      {"server-errors",
       registered("err",
                  session({format("", "PRIVMSG", {}), format("", "PRIVMSG", {"err"}),
                           format("", "PRIVMSG", {"nobody"}, "x"),
                           format("", "PRIVMSG", {"#nowhere"}, "x"), format("", "PART", {"#none"}),
                           format("", "TOPIC", {"#none"}), format("", "TOPIC", {}),
                           format("", "JOIN", {}), format("", "JOIN", {"nochan"}),
                           format("", "NAMES", {}), format("", "WHO", {}), format("", "MODE", {}),
                           format("", "KICK", {"#a", "err"}), format("", "PING", {})}))});
  s.push_back({"server-lf-only", "NICK lf\nUSER lf 0 * :LF\nJOIN #lf\nPRIVMSG #lf :x\nQUIT\n"});
  s.push_back({"server-no-final-newline", registered("open", "JOIN #o\r\nPRIVMSG #o :unfinished")});
  return s;
}

}  // namespace troupe::fuzz
