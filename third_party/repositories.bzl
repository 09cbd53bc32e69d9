"""Repository rules that wrap Debian packages so the build never downloads anything."""

_RULES_CC_PATH = "/usr/share/bazel/rules/cc"

# Debian's bazel-rules-cc is newer than Bazel 4.2.3: two files use `use_cpp_toolchain`, which
# this Bazel's @bazel_tools lacks. They are copied and rewritten; every other file is linked.
_PATCHED_RULES_CC_FILES = [
    "cc/private/rules_impl/compiler_flag.bzl",
    "cc/private/rules_impl/cc_flags_supplier.bzl",
]

def _require(rctx, path, package):
    if not rctx.path(path).exists:
        fail("%s not found: install Debian package '%s' (tools/test does this)" % (path, package))

def _debian_rules_cc_impl(rctx):
    _require(rctx, _RULES_CC_PATH, "bazel-rules-cc")
    root = rctx.path(_RULES_CC_PATH)
    for entry in root.readdir():
        if entry.basename != "cc":
            rctx.symlink(entry, entry.basename)
    found = rctx.execute(["find", "cc", "-type", "f"], working_directory = _RULES_CC_PATH)
    if found.return_code != 0:
        fail("cannot list %s/cc: %s" % (_RULES_CC_PATH, found.stderr))
    for relative in found.stdout.splitlines():
        source = "%s/%s" % (_RULES_CC_PATH, relative)
        if relative in _PATCHED_RULES_CC_FILES:
            text = rctx.read(source)
            text = text.replace(', "use_cpp_toolchain")', ")")
            text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
            rctx.file(relative, text, executable = False)
        else:
            rctx.symlink(source, relative)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    local = True,
    doc = "rules_cc from Debian's bazel-rules-cc, patched for Bazel 4.2.3.",
)

def _debian_googletest_impl(rctx):
    _require(rctx, "/usr/src/googletest/googletest/src/gtest-all.cc", "googletest")
    for entry in rctx.path("/usr/src/googletest").readdir():
        rctx.symlink(entry, entry.basename)
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.symlink(rctx.path(Label(rctx.attr.build_file)), "BUILD.bazel")

debian_googletest = repository_rule(
    implementation = _debian_googletest_impl,
    local = True,
    attrs = {"build_file": attr.string(mandatory = True)},
    doc = "GoogleTest and GoogleMock sources from Debian's googletest package.",
)

def _debian_libevent_impl(rctx):
    _require(rctx, "/usr/include/event2/event.h", "libevent-dev")
    rctx.symlink("/usr/include/event2", "event2")
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.symlink(rctx.path(Label(rctx.attr.build_file)), "BUILD.bazel")

debian_libevent = repository_rule(
    implementation = _debian_libevent_impl,
    local = True,
    attrs = {"build_file": attr.string(mandatory = True)},
    doc = "libevent headers and shared libraries from Debian's libevent-dev.",
)

def _empty_coverage_tools_impl(rctx):
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", """package(default_visibility = ["//visibility:public"])

filegroup(name = "coverage_report_generator", srcs = [])

filegroup(name = "lcov_merger", srcs = [])
""")

empty_coverage_tools = repository_rule(
    implementation = _empty_coverage_tools_impl,
    doc = "Stands in for remote_coverage_tools, which Bazel would otherwise download.",
)
