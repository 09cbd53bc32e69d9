#!/usr/bin/env python3
"""Writes compile_commands.json at the workspace root from Bazel's compile actions.

clangd reads it, and tools/lint runs clang-tidy with it. It needs no build, only analysis, so it
works in a fresh clone.

bear cannot see Bazel's compiles (they run in the Bazel server), so this asks `bazel aquery`.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bazel(*args):
    return subprocess.run(["bazel", *args], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


def main():
    execroot, output_base = bazel("info", "execution_root", "output_base").split()[1::2]
    actions = json.loads(bazel("aquery", "--output=jsonproto",
                               'mnemonic("CppCompile", //...)') or "{}").get("actions", [])

    def rewrite(arg):
        for prefix in ("-iquote", "-isystem", "-I", ""):
            if arg.startswith(prefix + "external/"):
                return prefix + output_base + "/" + arg[len(prefix):]
            if arg.startswith(prefix + "bazel-out/"):
                return prefix + execroot + "/" + arg[len(prefix):]
        return arg

    entries = []
    for action in actions:
        args = [rewrite(a) for a in action["arguments"] if a != "-fno-canonical-system-headers"]
        source = action["arguments"][action["arguments"].index("-c") + 1]
        entries.append({"directory": ROOT, "file": source, "arguments": args})
    with open(os.path.join(ROOT, "compile_commands.json"), "w") as out:
        json.dump(entries, out, indent=1)
    print(f"wrote {len(entries)} entries to compile_commands.json", file=sys.stderr)


if __name__ == "__main__":
    main()
