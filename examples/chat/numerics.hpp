#pragma once

#include <string>
#include <string_view>

namespace chat::numerics {

// The numeric replies the server sends, with RFC 2812's wording. Each
// function gives one line (no line ending) from `server` to the client
// whose nick is `nick` ("*" before it has one).

// Registration (sent together once NICK and USER are in).
std::string welcome(std::string_view server, std::string_view nick, std::string_view mask);  // 001
std::string your_host(std::string_view server, std::string_view nick,
                      std::string_view version);  // 002
std::string created(std::string_view server, std::string_view nick,
                    std::string_view date);  // 003
std::string my_info(std::string_view server, std::string_view nick,
                    std::string_view version);  // 004
std::string isupport(std::string_view server, std::string_view nick,
                     std::string_view network);  // 005

// Channels.
std::string list_start(std::string_view server, std::string_view nick);  // 321
std::string list_item(std::string_view server, std::string_view nick, std::string_view channel,
                      unsigned members, std::string_view topic);       // 322
std::string list_end(std::string_view server, std::string_view nick);  // 323
std::string channel_modes(std::string_view server, std::string_view nick,
                          std::string_view channel);  // 324
std::string no_topic(std::string_view server, std::string_view nick,
                     std::string_view channel);  // 331
std::string topic(std::string_view server, std::string_view nick, std::string_view channel,
                  std::string_view text);  // 332
std::string who_item(std::string_view server, std::string_view nick, std::string_view channel,
                     std::string_view user, std::string_view host, std::string_view who_nick,
                     std::string_view realname);  // 352
std::string who_end(std::string_view server, std::string_view nick,
                    std::string_view mask);  // 315
/// 353; `names` is space-separated and must leave room in the line (see
/// kNamesPerLine in room.cpp).
std::string names(std::string_view server, std::string_view nick, std::string_view channel,
                  std::string_view names);
std::string names_end(std::string_view server, std::string_view nick,
                      std::string_view channel);                         // 366
std::string user_modes(std::string_view server, std::string_view nick);  // 221
std::string ban_list_end(std::string_view server, std::string_view nick,
                         std::string_view channel);  // 368

// MOTD.
std::string motd_start(std::string_view server, std::string_view nick);  // 375
std::string motd_line(std::string_view server, std::string_view nick,
                      std::string_view text);                          // 372
std::string motd_end(std::string_view server, std::string_view nick);  // 376

// Errors.
std::string no_such_nick(std::string_view server, std::string_view nick,
                         std::string_view target);  // 401
std::string no_such_channel(std::string_view server, std::string_view nick,
                            std::string_view channel);  // 403
std::string cannot_send(std::string_view server, std::string_view nick,
                        std::string_view channel);  // 404
std::string too_many_channels(std::string_view server, std::string_view nick,
                              std::string_view channel);                // 405
std::string no_origin(std::string_view server, std::string_view nick);  // 409
std::string no_recipient(std::string_view server, std::string_view nick,
                         std::string_view command);                          // 411
std::string no_text(std::string_view server, std::string_view nick);         // 412
std::string input_too_long(std::string_view server, std::string_view nick);  // 417
std::string unknown_command(std::string_view server, std::string_view nick,
                            std::string_view command);                      // 421
std::string no_nick_given(std::string_view server, std::string_view nick);  // 431
std::string erroneous_nick(std::string_view server, std::string_view nick,
                           std::string_view bad);  // 432
std::string nick_in_use(std::string_view server, std::string_view nick,
                        std::string_view taken);  // 433
std::string not_on_channel(std::string_view server, std::string_view nick,
                           std::string_view channel);                        // 442
std::string not_registered(std::string_view server, std::string_view nick);  // 451
std::string need_more_params(std::string_view server, std::string_view nick,
                             std::string_view command);                          // 461
std::string already_registered(std::string_view server, std::string_view nick);  // 462
std::string users_dont_match(std::string_view server, std::string_view nick);    // 502

}  // namespace chat::numerics
