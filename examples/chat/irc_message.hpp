#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat::irc {

/// The longest line, without its CR LF: RFC 1459 allows 512 bytes with them.
inline constexpr std::size_t kMaxLineLength = 510;
/// The longest nick accepted (RFC 2812 says 9; today's servers allow more).
inline constexpr std::size_t kMaxNickLength = 30;
/// The longest channel name, '#' included (RFC 2812).
inline constexpr std::size_t kMaxChannelLength = 50;
/// RFC 2812: at most 15 parameters; the 15th takes the rest of the line.
inline constexpr std::size_t kMaxParams = 15;

/// One IRC message as a client sent it: `[:prefix] COMMAND params...`.
/// `command` is upper-cased; the trailing parameter (after " :") is the last
/// of `params`, without its colon. A plain value.
struct Message {
  std::string prefix;
  std::string command;
  std::vector<std::string> params;
};

/// Why a line is not a message.
enum class ParseError {
  kEmpty,         // nothing but spaces: RFC 1459 says to ignore it silently
  kNoCommand,     // a prefix and nothing else
  kBadCommand,    // the command is neither letters nor three digits
  kBadCharacter,  // a NUL, CR or LF inside the line
};

/// What parse() made of a line: a Message, or the error and, for
/// kBadCommand, the offending token made printable (for the 421 reply).
/// A plain value.
struct ParseResult {
  std::optional<Message> message;
  ParseError error = ParseError::kEmpty;
  std::string token;

  explicit operator bool() const noexcept { return message.has_value(); }
};

/// Parses one line (without its line ending). Never throws on bad input;
/// IRCv3 message tags ("@a=b ") in front are skipped.
ParseResult parse(std::string_view line);

/// Formats `[:prefix] COMMAND middle... [:trailing]`. Middle parameters are
/// written as given (they must not contain spaces or start with ':'); the
/// trailing one always gets its colon. The result is cut to kMaxLineLength
/// bytes (the trailing text is what gets cut). No line ending.
std::string format(std::string_view prefix, std::string_view command,
                   std::initializer_list<std::string_view> middle,
                   std::optional<std::string_view> trailing = std::nullopt);

/// The RFC 1459 case mapping: A-Z and []\~ fold to a-z and {}|^. Nicks and
/// channel names are compared in this form.
std::string fold_case(std::string_view s);

/// nickname = ( letter / special ) *( letter / digit / special / "-" ),
/// 1 to kMaxNickLength bytes (RFC 2812 section 2.3.1).
bool valid_nick(std::string_view nick);

/// '#' then 1 to kMaxChannelLength - 1 bytes, none of them NUL, BEL, CR,
/// LF, space, comma or colon.
bool valid_channel(std::string_view channel);

/// True if `text` holds no CR, LF or NUL: it stays one parameter of one
/// line when written to a client. (Parsed lines never hold them; a message
/// from another node of a split server is checked.)
bool one_line(std::string_view text) noexcept;

/// True for a name that addresses a channel (starts with '#').
inline bool is_channel(std::string_view target) noexcept {
  return !target.empty() && target.front() == '#';
}

/// The non-empty items of a comma-separated list ("#a,#b").
std::vector<std::string_view> split_list(std::string_view list);

/// "nick!user@host", the prefix of what a user says.
std::string user_mask(std::string_view nick, std::string_view user, std::string_view host);

/// `s` with every byte outside printable ASCII (and a leading ':') replaced
/// by '?', cut to `max` bytes, "*" if empty: safe to echo back as a middle
/// parameter of a reply.
std::string printable(std::string_view s, std::size_t max = 32);

}  // namespace chat::irc
