// The event-loop demo behind tools/demo: timers, a watched pipe, a task posted from another
// thread and SIGINT handling, on the production LibeventLoop. Ends by itself after ~1.5 s
// (it sends itself SIGINT); Ctrl-C ends it earlier.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "eventloop/event_loop.h"
#include "eventloop/libevent_loop.h"

namespace {

using std::chrono::milliseconds;

class Demo {
 public:
  Demo() : start_(loop_.Now()) {}

  int Run() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      std::perror("pipe2");
      return 1;
    }
    read_fd_ = fds[0];
    write_fd_ = fds[1];

    auto pipe_watcher = loop_.WatchFd(read_fd_, eventloop::kReadable, [this](uint32_t) {
      char buffer[256];
      const ssize_t n = read(read_fd_, buffer, sizeof(buffer));
      if (n > 0)
        Log("pipe readable: read " + std::to_string(n) + " bytes: \"" +
            std::string(buffer, static_cast<size_t>(n)) + "\"");
    });
    int ticks = 0;
    auto ticker =
        loop_.CreateTimer([&] { Log("repeating timer: tick " + std::to_string(++ticks)); });
    ticker->StartRepeating(milliseconds(250));
    auto writer = loop_.CreateTimer([this] {
      const std::string message = "hello through a pipe";
      Log("one-shot timer: writing \"" + message + "\" into the pipe");
      if (write(write_fd_, message.data(), message.size()) < 0) std::perror("write");
    });
    writer->Start(milliseconds(400));
    auto sigint = loop_.WatchSignal(SIGINT, [this] {
      Log("SIGINT delivered on the loop thread: quitting");
      loop_.Quit();
    });
    loop_.PostDelayed(milliseconds(1500), [this] {
      Log("PostDelayed task: sending SIGINT to myself (as Ctrl-C would)");
      kill(getpid(), SIGINT);
    });
    std::thread worker([this] {
      loop_.Post([this] { Log("task posted from a worker thread runs on the loop thread"); });
    });

    Log("loop running (Ctrl-C quits early)");
    loop_.Run();
    worker.join();
    Log("loop stopped after " + std::to_string(ticks) + " ticks");
    close(read_fd_);
    close(write_fd_);
    return 0;
  }

 private:
  void Log(const std::string& what) {
    const auto elapsed = std::chrono::duration<double, std::milli>(loop_.Now() - start_);
    std::printf("[%8.1f ms] %s\n", elapsed.count(), what.c_str());
    std::fflush(stdout);
  }

  eventloop::LibeventLoop loop_;
  const eventloop::TimePoint start_;
  int read_fd_ = -1;
  int write_fd_ = -1;
};

}  // namespace

int main() { return Demo().Run(); }
