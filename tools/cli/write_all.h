// Blocking output for the tool: a slow reader of stdout holds the tool back (back-pressure)
// instead of letting output pile up in memory.
#ifndef LOCALSOCKET_TOOLS_CLI_WRITE_ALL_H_
#define LOCALSOCKET_TOOLS_CLI_WRITE_ALL_H_

#include <string_view>

namespace cli {

// Writes all of `data` to `fd`, retrying after EINTR and waiting (poll) while a non-blocking
// fd is full. False on any other error, with errno set.
bool WriteAll(int fd, std::string_view data);

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_WRITE_ALL_H_
