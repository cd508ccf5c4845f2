#include "chat/numerics.hpp"

#include <string>

#include "chat/irc_message.hpp"

namespace chat::numerics {

using irc::format;

std::string welcome(std::string_view server, std::string_view nick, std::string_view mask) {
  return format(server, "001", {nick},
                std::string("Welcome to the Internet Relay Network ") + std::string(mask));
}
std::string your_host(std::string_view server, std::string_view nick, std::string_view version) {
  return format(
      server, "002", {nick},
      "Your host is " + std::string(server) + ", running version " + std::string(version));
}
std::string created(std::string_view server, std::string_view nick, std::string_view date) {
  return format(server, "003", {nick}, "This server was created " + std::string(date));
}
std::string my_info(std::string_view server, std::string_view nick, std::string_view version) {
  // No modes are enforced; these are the ones MODE reports.
  return format(server, "004", {nick, server, version, "i", "nt"});
}
std::string isupport(std::string_view server, std::string_view nick, std::string_view network) {
  const std::string net = "NETWORK=" + std::string(network);
  const std::string nicklen = "NICKLEN=" + std::to_string(irc::kMaxNickLength);
  const std::string chanlen = "CHANNELLEN=" + std::to_string(irc::kMaxChannelLength);
  return format(server, "005",
                {nick, net, "CASEMAPPING=rfc1459", "CHANTYPES=#", nicklen, chanlen, "PREFIX=()"},
                "are supported by this server");
}

std::string list_start(std::string_view server, std::string_view nick) {
  return format(server, "321", {nick, "Channel"}, "Users  Name");
}
std::string list_item(std::string_view server, std::string_view nick, std::string_view channel,
                      unsigned members, std::string_view topic) {
  return format(server, "322", {nick, channel, std::to_string(members)}, topic);
}
std::string list_end(std::string_view server, std::string_view nick) {
  return format(server, "323", {nick}, "End of LIST");
}
std::string channel_modes(std::string_view server, std::string_view nick,
                          std::string_view channel) {
  return format(server, "324", {nick, channel, "+nt"});
}
std::string no_topic(std::string_view server, std::string_view nick, std::string_view channel) {
  return format(server, "331", {nick, channel}, "No topic is set");
}
std::string topic(std::string_view server, std::string_view nick, std::string_view channel,
                  std::string_view text) {
  return format(server, "332", {nick, channel}, text);
}
std::string who_item(std::string_view server, std::string_view nick, std::string_view channel,
                     std::string_view user, std::string_view host, std::string_view who_nick,
                     std::string_view realname) {
  return format(server, "352", {nick, channel, user, host, server, who_nick, "H"},
                "0 " + std::string(realname));
}
std::string who_end(std::string_view server, std::string_view nick, std::string_view mask) {
  return format(server, "315", {nick, mask}, "End of WHO list");
}
std::string names(std::string_view server, std::string_view nick, std::string_view channel,
                  std::string_view names) {
  return format(server, "353", {nick, "=", channel}, names);
}
std::string names_end(std::string_view server, std::string_view nick, std::string_view channel) {
  return format(server, "366", {nick, channel}, "End of NAMES list");
}
std::string user_modes(std::string_view server, std::string_view nick) {
  return format(server, "221", {nick, "+"});
}
std::string ban_list_end(std::string_view server, std::string_view nick, std::string_view channel) {
  return format(server, "368", {nick, channel}, "End of channel ban list");
}

std::string motd_start(std::string_view server, std::string_view nick) {
  return format(server, "375", {nick}, "- " + std::string(server) + " Message of the day - ");
}
std::string motd_line(std::string_view server, std::string_view nick, std::string_view text) {
  return format(server, "372", {nick}, "- " + std::string(text));
}
std::string motd_end(std::string_view server, std::string_view nick) {
  return format(server, "376", {nick}, "End of MOTD command");
}

std::string no_such_nick(std::string_view server, std::string_view nick, std::string_view target) {
  return format(server, "401", {nick, target}, "No such nick/channel");
}
std::string no_such_channel(std::string_view server, std::string_view nick,
                            std::string_view channel) {
  return format(server, "403", {nick, channel}, "No such channel");
}
std::string cannot_send(std::string_view server, std::string_view nick, std::string_view channel) {
  return format(server, "404", {nick, channel}, "Cannot send to channel");
}
std::string too_many_channels(std::string_view server, std::string_view nick,
                              std::string_view channel) {
  return format(server, "405", {nick, channel}, "You have joined too many channels");
}
std::string no_origin(std::string_view server, std::string_view nick) {
  return format(server, "409", {nick}, "No origin specified");
}
std::string no_recipient(std::string_view server, std::string_view nick, std::string_view command) {
  return format(server, "411", {nick}, "No recipient given (" + std::string(command) + ")");
}
std::string no_text(std::string_view server, std::string_view nick) {
  return format(server, "412", {nick}, "No text to send");
}
std::string input_too_long(std::string_view server, std::string_view nick) {
  return format(server, "417", {nick}, "Input line was too long");
}
std::string unknown_command(std::string_view server, std::string_view nick,
                            std::string_view command) {
  return format(server, "421", {nick, command}, "Unknown command");
}
std::string no_nick_given(std::string_view server, std::string_view nick) {
  return format(server, "431", {nick}, "No nickname given");
}
std::string erroneous_nick(std::string_view server, std::string_view nick, std::string_view bad) {
  return format(server, "432", {nick, bad}, "Erroneous nickname");
}
std::string nick_in_use(std::string_view server, std::string_view nick, std::string_view taken) {
  return format(server, "433", {nick, taken}, "Nickname is already in use");
}
std::string not_on_channel(std::string_view server, std::string_view nick,
                           std::string_view channel) {
  return format(server, "442", {nick, channel}, "You're not on that channel");
}
std::string not_registered(std::string_view server, std::string_view nick) {
  return format(server, "451", {nick}, "You have not registered");
}
std::string need_more_params(std::string_view server, std::string_view nick,
                             std::string_view command) {
  return format(server, "461", {nick, command}, "Not enough parameters");
}
std::string already_registered(std::string_view server, std::string_view nick) {
  return format(server, "462", {nick}, "Unauthorized command (already registered)");
}
std::string users_dont_match(std::string_view server, std::string_view nick) {
  return format(server, "502", {nick}, "Cannot change mode for other users");
}

}  // namespace chat::numerics
