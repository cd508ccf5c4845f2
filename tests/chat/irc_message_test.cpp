// IRC line parsing and formatting (examples/chat/irc_message.hpp) and the
// line splitter that cuts a client's bytes into lines (line_reader.hpp).

#include "chat/irc_message.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "chat/line_reader.hpp"

namespace {

using chat::InputLine;
using chat::LineSplitter;
using chat::irc::Message;
using chat::irc::parse;
using chat::irc::ParseError;
using Params = std::vector<std::string>;

TEST(IrcParse, CommandAndMiddleParameters) {
  auto r = parse("USER guest 0 * :Ronnie Reagan");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.message->prefix, "");
  EXPECT_EQ(r.message->command, "USER");
  EXPECT_EQ(r.message->params, (Params{"guest", "0", "*", "Ronnie Reagan"}));
}

TEST(IrcParse, PrefixIsSeparatedFromTheCommand) {
  auto r = parse(":nick!user@host PRIVMSG #chan :hello there");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.message->prefix, "nick!user@host");
  EXPECT_EQ(r.message->command, "PRIVMSG");
  EXPECT_EQ(r.message->params, (Params{"#chan", "hello there"}));
}

TEST(IrcParse, CommandsAreCaseInsensitiveAndNumericsAreThreeDigits) {
  auto r = parse("privmsg bob :hi");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.message->command, "PRIVMSG");
  auto n = parse(":server 001 nick :Welcome");
  ASSERT_TRUE(n);
  EXPECT_EQ(n.message->command, "001");
  EXPECT_FALSE(parse("01 x"));
  EXPECT_FALSE(parse("1234 x"));
}

TEST(IrcParse, TrailingParameterKeepsColonsAndSpaces) {
  auto r = parse("PRIVMSG #c ::) and  two  spaces ");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.message->params, (Params{"#c", ":) and  two  spaces "}));
}

TEST(IrcParse, EmptyTrailingParameterIsAParameter) {
  auto r = parse("TOPIC #c :");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.message->params, (Params{"#c", ""}));
}

TEST(IrcParse, RepeatedSpacesBetweenParametersAreOneSeparator) {
  auto r = parse("  JOIN    #a,#b   key  ");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.message->command, "JOIN");
  EXPECT_EQ(r.message->params, (Params{"#a,#b", "key"}));
}

TEST(IrcParse, TheFifteenthParameterTakesTheRestOfTheLine) {
  std::string line = "CMD";
  for (int i = 1; i <= 14; ++i) line += " p" + std::to_string(i);
  line += " rest of line";
  auto r = parse(line);
  ASSERT_TRUE(r);
  ASSERT_EQ(r.message->params.size(), 15u);
  EXPECT_EQ(r.message->params[13], "p14");
  EXPECT_EQ(r.message->params[14], "rest of line");
}

TEST(IrcParse, MessageTagsAreSkipped) {
  auto r = parse("@time=2024-01-01T00:00:00Z :n!u@h PRIVMSG #c :x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r.message->prefix, "n!u@h");
  EXPECT_EQ(r.message->command, "PRIVMSG");
}

TEST(IrcParse, EmptyAndBlankLinesAreIgnorable) {
  EXPECT_EQ(parse("").error, ParseError::kEmpty);
  EXPECT_EQ(parse("     ").error, ParseError::kEmpty);
}

TEST(IrcParse, APrefixWithoutACommandIsMalformed) {
  auto r = parse(":just.a.prefix");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error, ParseError::kNoCommand);
  EXPECT_EQ(parse(":prefix    ").error, ParseError::kNoCommand);
}

TEST(IrcParse, ABadCommandIsReportedWithAPrintableToken) {
  auto r = parse("PRIV-MSG x");
  EXPECT_EQ(r.error, ParseError::kBadCommand);
  EXPECT_EQ(r.token, "PRIV-MSG");
  auto bin = parse(std::string("\x01\xff\x7f garbage", 10));
  EXPECT_EQ(bin.error, ParseError::kBadCommand);
  EXPECT_EQ(bin.token, "???");
  // A token that would start a trailing parameter in the reply is defused.
  EXPECT_EQ(parse("?:x y").token, "?:x");
  EXPECT_EQ(chat::irc::printable(":x"), "?x");
}

TEST(IrcParse, NulCrAndLfInsideALineAreMalformed) {
  EXPECT_EQ(parse(std::string("PRIVMSG #c :a\0b", 15)).error, ParseError::kBadCharacter);
  EXPECT_EQ(parse("PRIVMSG #c :a\rb").error, ParseError::kBadCharacter);
  EXPECT_EQ(parse("PRIVMSG #c :a\nb").error, ParseError::kBadCharacter);
}

TEST(IrcFormat, MiddleParametersThenATrailingOne) {
  EXPECT_EQ(chat::irc::format("srv", "001", {"nick"}, "Welcome here"),
            ":srv 001 nick :Welcome here");
  EXPECT_EQ(chat::irc::format("", "PONG", {"srv"}), "PONG srv");
  EXPECT_EQ(chat::irc::format("n!u@h", "PART", {"#c"}, ""), ":n!u@h PART #c :");
}

TEST(IrcFormat, LinesAreCutTo510Bytes) {
  const std::string text(1000, 'x');
  const std::string line = chat::irc::format("n!u@h", "PRIVMSG", {"#c"}, text);
  EXPECT_EQ(line.size(), chat::irc::kMaxLineLength);
  EXPECT_TRUE(line.starts_with(":n!u@h PRIVMSG #c :xxx"));
}

TEST(IrcNames, NicksFollowRfc2812) {
  using chat::irc::valid_nick;
  EXPECT_TRUE(valid_nick("alice"));
  EXPECT_TRUE(valid_nick("[bot]_-9"));
  EXPECT_TRUE(valid_nick("`x^{|}"));
  EXPECT_FALSE(valid_nick(""));
  EXPECT_FALSE(valid_nick("9lives"));
  EXPECT_FALSE(valid_nick("-dash"));
  EXPECT_FALSE(valid_nick("sp ace"));
  EXPECT_FALSE(valid_nick("a@b"));
  EXPECT_FALSE(valid_nick("a!b"));
  EXPECT_FALSE(valid_nick("#chan"));
  EXPECT_TRUE(valid_nick(std::string(chat::irc::kMaxNickLength, 'n')));
  EXPECT_FALSE(valid_nick(std::string(chat::irc::kMaxNickLength + 1, 'n')));
}

TEST(IrcNames, ChannelsStartWithHashAndHaveNoSeparators) {
  using chat::irc::valid_channel;
  EXPECT_TRUE(valid_channel("#troupe"));
  EXPECT_TRUE(valid_channel("#a.b-c_d"));
  EXPECT_FALSE(valid_channel("#"));
  EXPECT_FALSE(valid_channel("troupe"));
  EXPECT_FALSE(valid_channel("#a,b"));
  EXPECT_FALSE(valid_channel("#a b"));
  EXPECT_FALSE(valid_channel("#a:b"));
  EXPECT_FALSE(valid_channel("#a\ab"));
  EXPECT_FALSE(valid_channel("#" + std::string(chat::irc::kMaxChannelLength, 'c')));
}

TEST(IrcNames, CaseFoldingIsRfc1459) {
  EXPECT_EQ(chat::irc::fold_case("NiCk[]\\~"), "nick{}|^");
  EXPECT_EQ(chat::irc::fold_case("#Chan"), "#chan");
}

TEST(IrcNames, CommaListsSkipEmptyItems) {
  EXPECT_EQ(chat::irc::split_list("#a,,#b,"), (std::vector<std::string_view>{"#a", "#b"}));
  EXPECT_TRUE(chat::irc::split_list("").empty());
}

std::vector<InputLine> split(LineSplitter& s, std::string_view bytes) {
  std::vector<InputLine> out;
  s.feed(bytes, out);
  return out;
}

TEST(LineSplitter, CrLfAndBareLfBothEndALine) {
  LineSplitter s;
  auto lines = split(s, "NICK a\r\nUSER b\nPING x\r\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "NICK a");
  EXPECT_EQ(lines[1].text, "USER b");
  EXPECT_EQ(lines[2].text, "PING x");
  EXPECT_FALSE(lines[0].too_long);
}

TEST(LineSplitter, ALineSplitAcrossReadsIsJoined) {
  LineSplitter s;
  EXPECT_TRUE(split(s, "PRIV").empty());
  EXPECT_TRUE(split(s, "MSG #c :hel").empty());
  EXPECT_TRUE(split(s, "lo\r").empty());
  auto lines = split(s, "\nNEXT");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "PRIVMSG #c :hello");
}

TEST(LineSplitter, A510ByteLineFitsAnd511DoesNot) {
  LineSplitter s;
  const std::string fits(510, 'a');
  auto ok = split(s, fits + "\r\n");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_FALSE(ok[0].too_long);
  EXPECT_EQ(ok[0].text, fits);
  auto bad = split(s, std::string(511, 'b') + "\r\n");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_TRUE(bad[0].too_long);
  auto bad_lf = split(s, std::string(511, 'c') + "\n");
  ASSERT_EQ(bad_lf.size(), 1u);
  EXPECT_TRUE(bad_lf[0].too_long);
}

TEST(LineSplitter, AnOverLongLineIsDroppedUpToItsEndAndTheNextLineIsIntact) {
  LineSplitter s(16);
  std::vector<InputLine> lines;
  // 10 KiB in small pieces: never buffered beyond the limit.
  for (int i = 0; i < 1024; ++i) s.feed("0123456789", lines);
  EXPECT_TRUE(lines.empty());
  s.feed("tail\r\nPING ok\r\n", lines);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].too_long);
  EXPECT_EQ(lines[0].text, "");
  EXPECT_FALSE(lines[1].too_long);
  EXPECT_EQ(lines[1].text, "PING ok");
}

TEST(LineSplitter, EmptyLinesAreLinesToo) {
  LineSplitter s;
  auto lines = split(s, "\r\n\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "");
  EXPECT_EQ(lines[1].text, "");
}

}  // namespace
