#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The mutant catalogue (tools/mutants/catalogue).

Usage: apply.py CATALOGUE list            the ids and descriptions
       apply.py CATALOGUE apply ID TREE   plant mutant ID in the copy TREE
       apply.py CATALOGUE check TREE      every mutant applies to TREE (which is
                                          left unchanged)

A mutant is "[Mxx] FILE: description" followed by pairs of lines "- FIND"
and "+ REPLACEMENT": each FIND must occur exactly once in FILE when it is
applied, and the file must change.
"""
import re
import sys


def parse(path):
    mutants, cur = [], None
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            head = re.match(r"^\[(M\d+)\] (\S+): (.*)$", line)
            if head:
                cur = {"id": head.group(1), "file": head.group(2),
                       "what": head.group(3), "edits": []}
                mutants.append(cur)
            elif line.startswith("- ") and cur:
                cur["edits"].append([line[2:], None])
            elif (line.startswith("+ ") or line == "+") and cur and cur["edits"]:
                cur["edits"][-1][1] = line[2:]
    return mutants


def mutate(m, tree):
    """The text of m's file with m planted."""
    path = "%s/%s" % (tree, m["file"])
    text = open(path).read()
    orig = text
    for find, repl in m["edits"]:
        if repl is None or text.count(find) != 1:
            sys.exit("%s: '%s' occurs %d times in %s" % (m["id"], find, text.count(find),
                                                        m["file"]))
        text = text.replace(find, repl)
    if text == orig:
        sys.exit("%s: changes nothing" % m["id"])
    return path, text


def apply(m, tree):
    path, text = mutate(m, tree)
    open(path, "w").write(text)


def main():
    mutants = parse(sys.argv[1])
    ids = [m["id"] for m in mutants]
    if len(set(ids)) != len(ids):
        sys.exit("duplicate mutant ids")
    if sys.argv[2] == "list":
        for m in mutants:
            print("%s\t%s\t%s" % (m["id"], m["file"], m["what"]))
    elif sys.argv[2] == "check":
        for m in mutants:
            mutate(m, sys.argv[3])
        print("%d mutants apply" % len(mutants))
    elif sys.argv[2] == "apply":
        apply(next(m for m in mutants if m["id"] == sys.argv[3]), sys.argv[4])


if __name__ == "__main__":
    main()
