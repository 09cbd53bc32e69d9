"""External repositories the localsocket workspace needs, all from Debian packages (offline).

A consuming workspace calls this macro too:

    local_repository(name = "localsocket", path = "...")
    load("@localsocket//:deps.bzl", "localsocket_dependencies")
    localsocket_dependencies()

Every repository is skipped when the caller already declared one of that name.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load(
    "//third_party:repositories.bzl",
    "debian_googletest",
    "debian_libevent",
    "debian_rules_cc",
    "empty_coverage_tools",
)

def localsocket_dependencies():
    """Declares rules_cc, rules_java, googletest, libevent and remote_coverage_tools."""
    maybe(debian_rules_cc, name = "rules_cc")
    maybe(
        native.local_repository,
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )
    maybe(empty_coverage_tools, name = "remote_coverage_tools")
    maybe(
        debian_googletest,
        name = "googletest",
        build_file = str(Label("//third_party:googletest.BUILD")),
    )
    maybe(
        debian_libevent,
        name = "libevent",
        build_file = str(Label("//third_party:libevent.BUILD")),
    )
