// Parsing the socket-activation variables, and claiming the fds they describe.
#include "ipc/inherited_sockets.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ipc {
namespace internal {
namespace {

constexpr pid_t kSelf = 4242;

std::vector<std::string> Names(const ListenEnvironment& environment) {
  std::vector<std::string> names;
  for (const ListenEnvironment::Entry& entry : environment.entries) names.push_back(entry.name);
  return names;
}

TEST(ParseListenEnvironmentTest, AbsentVariablesAreRefused) {
  const std::string absent =
      "no sockets passed by a service manager (LISTEN_PID or LISTEN_FDS unset)";
  EXPECT_EQ(ParseListenEnvironment(kSelf, nullptr, nullptr, nullptr).refusal, absent);
  EXPECT_EQ(ParseListenEnvironment(kSelf, "4242", nullptr, "a").refusal, absent);
  EXPECT_EQ(ParseListenEnvironment(kSelf, nullptr, "1", nullptr).refusal, absent);
}

TEST(ParseListenEnvironmentTest, MalformedNumbersAreRefused) {
  for (const char* pid : {"", "abc", "-4242", "+4242", " 4242", "4242 ", "0", "99999999999"}) {
    EXPECT_EQ(ParseListenEnvironment(kSelf, pid, "1", nullptr).refusal, "malformed LISTEN_PID")
        << "'" << pid << "'";
  }
  for (const char* fds : {"", "x", "-1", "1x", "2147483647"}) {
    EXPECT_EQ(ParseListenEnvironment(kSelf, "4242", fds, nullptr).refusal, "malformed LISTEN_FDS")
        << "'" << fds << "'";
  }
}

TEST(ParseListenEnvironmentTest, AnotherProcesssSocketsAreRefused) {
  EXPECT_EQ(ParseListenEnvironment(kSelf, "17", "1", nullptr).refusal,
            "the sockets were passed to another process (LISTEN_PID 17, this process 4242)");
}

TEST(ParseListenEnvironmentTest, FdsStartAtThreeAndAreNamedUnknownWithoutNames) {
  const ListenEnvironment environment = ParseListenEnvironment(kSelf, "4242", "3", nullptr);
  EXPECT_EQ(environment.refusal, "");
  ASSERT_EQ(environment.entries.size(), 3u);
  EXPECT_EQ(environment.entries[0].fd, 3);
  EXPECT_EQ(environment.entries[2].fd, 5);
  EXPECT_EQ(Names(environment), (std::vector<std::string>{"unknown", "unknown", "unknown"}));
}

TEST(ParseListenEnvironmentTest, NamesAreColonSeparatedAndMustMatchTheCount) {
  EXPECT_EQ(Names(ParseListenEnvironment(kSelf, "4242", "3", "web::admin")),
            (std::vector<std::string>{"web", "", "admin"}));
  EXPECT_EQ(ParseListenEnvironment(kSelf, "4242", "2", "web").refusal,
            "LISTEN_FDNAMES names 1 sockets, LISTEN_FDS passes 2");
  EXPECT_EQ(ParseListenEnvironment(kSelf, "4242", "1", "a:b").refusal,
            "LISTEN_FDNAMES names 2 sockets, LISTEN_FDS passes 1");
  EXPECT_TRUE(ParseListenEnvironment(kSelf, "4242", "0", nullptr).entries.empty());
}

InheritedSockets Sockets(const char* fds, const char* names) {
  return InheritedSockets(ParseListenEnvironment(kSelf, "4242", fds, names));
}

TEST(InheritedSocketsTest, WithoutANameTheOnlyFdIsClaimedOnce) {
  InheritedSockets sockets = Sockets("1", nullptr);
  EXPECT_EQ(sockets.Claim("").fd, 3);
  const InheritedSockets::Claimed again = sockets.Claim("");
  EXPECT_EQ(again.fd, -1);
  EXPECT_EQ(again.refusal, "the inherited socket was already taken");
  EXPECT_EQ(sockets.Claim("unknown").refusal, "the inherited socket \"unknown\" was already taken");
}

TEST(InheritedSocketsTest, SeveralFdsNeedAName) {
  InheritedSockets sockets = Sockets("2", "web:admin");
  const InheritedSockets::Claimed unnamed = sockets.Claim("");
  EXPECT_EQ(unnamed.fd, -1);
  EXPECT_EQ(unnamed.refusal, "2 inherited sockets: name the one to take");
  EXPECT_EQ(sockets.Claim("admin").fd, 4);
  EXPECT_EQ(sockets.Claim("web").fd, 3);
  EXPECT_EQ(sockets.Claim("metrics").refusal, "no inherited socket named \"metrics\"");
}

TEST(InheritedSocketsTest, ANameSharedBySeveralFdsHandsThemOutInOrder) {
  InheritedSockets sockets = Sockets("3", "web:admin:web");
  EXPECT_EQ(sockets.Claim("web").fd, 3);
  EXPECT_EQ(sockets.Claim("web").fd, 5);
  EXPECT_EQ(sockets.Claim("web").refusal, "the inherited socket \"web\" was already taken");
}

TEST(InheritedSocketsTest, AnUnclaimedFdCanBeClaimedAgain) {
  InheritedSockets sockets = Sockets("1", "web");
  ASSERT_EQ(sockets.Claim("web").fd, 3);
  sockets.Unclaim(3);
  EXPECT_EQ(sockets.Claim("web").fd, 3);
}

TEST(InheritedSocketsTest, RefusalsOfTheEnvironmentAndOfAnEmptyListAreReported) {
  InheritedSockets foreign(ParseListenEnvironment(kSelf, "17", "1", nullptr));
  EXPECT_EQ(foreign.Claim("").refusal,
            "the sockets were passed to another process (LISTEN_PID 17, this process 4242)");
  InheritedSockets none = Sockets("0", nullptr);
  EXPECT_EQ(none.Claim("").refusal, "the service manager passed no sockets (LISTEN_FDS=0)");
  EXPECT_EQ(none.Claim("web").refusal, "the service manager passed no sockets (LISTEN_FDS=0)");
}

}  // namespace
}  // namespace internal
}  // namespace ipc
