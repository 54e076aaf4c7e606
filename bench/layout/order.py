#!/usr/bin/env python3
"""order.py: the method order file for mesh-proxy's NativeAOT build (src/Meshwork.Proxy/hot-methods.txt).

Inputs, all from one instrumented build and its run (bench/layout/run):
  --symbols  `nm -S --defined-only` of the build's .dbg: the compiler's symbol names and sizes
  --tokens   tokenmap's list of method definitions (MVID, token, assembly, namespace, type, method)
  --reach    reach.mprof files the instrumented processes wrote at exit: one byte per method definition,
             1 if it ran (the compiler instruments non-generic methods only)
  --perf     optional `perf script -F sym` output of the same run: samples name generic instantiations
             too, and the hottest methods go first
Output: symbol names, hottest sampled first, then every other method that ran. The compiler places these
first, in this order, and everything else after them.
"""
import argparse
import collections
import re
import sys


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def assembly_prefix(assembly):
    # The compiler abbreviates System.Private.* (System.Private.CoreLib → S_P_CoreLib).
    if assembly.startswith("System.Private."):
        return "S_P_" + sanitize(assembly[len("System.Private."):])
    return sanitize(assembly)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--symbols", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--reach", nargs="+", required=True)
    ap.add_argument("--perf")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    code, begin, slots = {}, None, {}
    for line in open(a.symbols):
        # nm -S prints no size for symbols without one (the instrumentation's flags).
        parts = line.split()
        if len(parts) == 3:
            parts.insert(1, "0")
        if len(parts) != 4:
            continue
        address, size, kind, name = parts
        if kind in "tTwW":
            code[name] = int(size, 16)
        elif name == "__tokenuse_begin":
            begin = int(address, 16)
        elif (m := re.match(r"__tokenuse_([0-9a-f]{32})_([0-9A-F]{8})$", name)):
            slots[(m.group(1), m.group(2))] = int(address, 16)
    if begin is None:
        sys.exit("order.py: no __tokenuse_begin in the symbols: was the build instrumented (--reachabilityinstrument)?")

    blobs = [open(path, "rb").read() for path in a.reach]
    ran = {key for key, address in slots.items() if any(blob[address - begin] == 1 for blob in blobs)}

    keys = set()
    for line in open(a.tokens):
        mvid, token, assembly, ns, types, method = line.rstrip("\n").split("\t")
        if (mvid, token) in ran:
            type_name = "_".join(sanitize(t) for t in types.split("+"))
            keys.add(f"{assembly_prefix(assembly)}_{sanitize(ns) + '_' if ns else ''}{type_name}__{sanitize(method)}")

    # A method's code symbol is its key, or the key plus _N for overloads; generic instantiations carry
    # their arguments in <...> and are never instrumented.
    reached = sorted(s for s in code if "<" not in s and (s in keys or re.sub(r"_\d+$", "", s) in keys))

    hot = []
    if a.perf:
        samples = collections.Counter()
        for line in open(a.perf):
            name = re.sub(r"\+0x[0-9a-f]+$", "", line.strip())
            if name in code:
                samples[name] += 1
        hot = [name for name, _ in samples.most_common()]

    order, seen = [], set()
    for name in hot + reached:
        if name not in seen:
            order.append(name)
            seen.add(name)
    with open(a.out, "w") as out:
        out.write("\n".join(order) + "\n")
    print(f"order.py: {len(ran)} methods ran, {len(reached)} with code of their own, {len(hot)} sampled; "
          f"{len(order)} symbols, {sum(code[n] for n in order) / 1e6:.1f} MB of code placed first", file=sys.stderr)


if __name__ == "__main__":
    main()
