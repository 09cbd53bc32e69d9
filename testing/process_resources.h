// This process's resources, for tests that check leaks and costs: its open fds, its CPU time,
// and its fd limit.
#ifndef LOCALSOCKET_TESTING_PROCESS_RESOURCES_H_
#define LOCALSOCKET_TESTING_PROCESS_RESOURCES_H_

#include <chrono>
#include <set>

namespace ipc {
namespace test {

// Raises the RLIMIT_NOFILE soft limit to the hard limit. True on success.
bool RaiseFdLimit();

// User + system CPU time of this process so far.
std::chrono::microseconds ProcessCpuTime();
// The fds open in this process (from /proc/self/fd).
std::set<int> OpenFds();

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_PROCESS_RESOURCES_H_
