// SoakClients: the client side of the soak test. Many LocalSocket clients share one
// LibeventLoop on a thread of their own; each sends its message stream (message_stream.h)
// through an echo server, a few messages in flight at a time, checks every echoed message,
// and disconnects once all came back intact.
#ifndef LOCALSOCKET_IPC_HARDENING_SOAK_CLIENTS_H_
#define LOCALSOCKET_IPC_HARDENING_SOAK_CLIENTS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "eventloop/libevent_loop.h"

namespace ipc {
namespace test {

// What a round of clients does.
struct SoakSpec {
  std::string server;       // The echo server's name, as ConnectToServer takes it.
  int clients = 0;          // Connected concurrently: all start at once.
  int messages = 0;         // Per client.
  uint64_t budget = 0;      // Per client: the most bytes its stream may take each way.
  uint64_t first_seed = 0;  // Client i's stream uses seed first_seed + i.
  int window = 2;           // Messages a client keeps in flight.
};

// What the round did.
struct SoakOutcome {
  int finished = 0;  // Clients that ended, one way or another.
  int verified = 0;  // Clients whose every message came back intact, then disconnected.
  uint64_t messages_verified = 0;
  uint64_t bytes_planned = 0;  // The clients' streams, headers included.
  uint64_t bytes_sent = 0;     // Handed to Write.
  uint64_t bytes_received = 0;
  std::vector<std::string> failures;  // "client N: what went wrong", in the order seen.
};

// Runs one round on a new thread from construction. The loop is built on the calling thread
// and run (and its clients built and destroyed) on the round's thread.
//
// Threads: finished(), Stop() and Join() may be called from any thread; outcome() after Join().
// The destructor stops and joins the round.
class SoakClients {
 public:
  explicit SoakClients(SoakSpec spec);
  ~SoakClients();
  SoakClients(const SoakClients&) = delete;
  SoakClients& operator=(const SoakClients&) = delete;

  // True once every client ended (or Stop() ended the round) and the thread is about to exit.
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  // Ends the round early: the clients still open are aborted.
  void Stop();
  // Waits for the round's thread. Idempotent.
  void Join();
  // The round's result; valid after Join().
  const SoakOutcome& outcome() const { return outcome_; }

 private:
  void Run();

  const SoakSpec spec_;
  eventloop::LibeventLoop loop_;
  SoakOutcome outcome_;
  std::atomic<bool> finished_{false};
  std::thread thread_;  // Last: starts once the members above exist.
};

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_IPC_HARDENING_SOAK_CLIENTS_H_
