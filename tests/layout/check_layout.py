#!/usr/bin/env python3
"""The layering of the source tree, checked from the text of the sources
and CMakeLists.txt files (no build needed). Fails, naming each offence, when:

  - a folder includes a folder it may not (ALLOWED below): e.g. anything
    under tracepoints/, probes/ or cli/ including consumerd/, cli/ including
    ringbuf/, a lower layer (common, protocol, eventdesc, ringbuf, ctf, net)
    including a higher one;
  - a quoted include is not written from the project root ("ringbuf/x.h")
    and is not a file next to the includer (probes' provider headers);
  - the folders' include graph, or the graph of consumerd's headers, has a
    cycle;
  - librseqtrace (target rseqtrace) links, directly or through other
    targets, a target defined under consumerd/, or a CMakeLists.txt outside
    tracepoints/ adds links to it.

Usage: check_layout.py SOURCE_DIR
"""
import os
import re
import sys

# Who may include whom. "include" is include/rseqtrace (the public API).
ALLOWED = {
    "common": set(),
    "protocol": {"common"},
    "eventdesc": {"common", "include"},
    "filter": {"common", "eventdesc", "include"},
    "ringbuf": {"common"},
    "ctf": {"common", "eventdesc", "ringbuf", "include"},
    "net": {"ctf", "ringbuf", "common"},
    "tracepoints": {"common", "protocol", "eventdesc", "filter", "ringbuf", "ctf", "include"},
    "probes": {"include"},
    "consumerd": {"common", "protocol", "eventdesc", "filter", "ringbuf", "ctf", "net", "include"},
    "cli": {"common", "protocol"},
    "include": set(),
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def sources(root, folder):
    for dirpath, _, names in os.walk(os.path.join(root, folder)):
        for n in names:
            if n.endswith((".c", ".h")):
                yield os.path.join(dirpath, n)


def included_folder(root, path, kind, name):
    """The folder an include reaches, or None for a system header. Raises
    ValueError for a quoted include that is neither root-relative nor next
    to the includer."""
    if kind == "<":
        return "include" if name.startswith("rseqtrace/") else None
    first = name.split("/", 1)[0]
    if "/" in name and first in ALLOWED and os.path.exists(os.path.join(root, name)):
        return first
    if os.path.exists(os.path.join(os.path.dirname(path), name)):
        return os.path.relpath(path, root).split(os.sep, 1)[0]
    raise ValueError(f'"{name}" is neither a path from the project root nor a file next to it')


def main(root):
    errors = []
    edges = {f: set() for f in ALLOWED}
    header_edges = {}
    for folder in ALLOWED:
        for path in sources(root, folder):
            rel = os.path.relpath(path, root)
            with open(path, errors="replace") as f:
                text = f.read()
            for kind, name in INCLUDE_RE.findall(text):
                try:
                    to = included_folder(root, path, kind, name)
                except ValueError as e:
                    errors.append(f"{rel}: {e}")
                    continue
                if to is None or to == folder:
                    if to == "consumerd" and rel.endswith(".h") and folder == "consumerd":
                        header_edges.setdefault(rel, set()).add(name)
                    continue
                edges[folder].add(to)
                if to not in ALLOWED[folder]:
                    errors.append(f"{rel}: includes {name}: {folder}/ may not include {to}/ "
                                  f"(allowed: {', '.join(sorted(ALLOWED[folder])) or 'nothing'})")
    errors += [f"include cycle between folders: {' -> '.join(c)}" for c in cycles(edges)]
    for h in (os.path.relpath(p, root) for p in sources(root, "consumerd") if p.endswith(".h")):
        header_edges.setdefault(h, set())
    errors += [f"include cycle between consumerd headers: {' -> '.join(c)}"
               for c in cycles(header_edges)]
    errors += link_errors(root)
    for e in errors:
        print("FAIL", e)
    if errors:
        print(f"{len(errors)} failed")
        return 1
    print("layout: layers, include graph and library links as designed")
    return 0


def cycles(graph):
    """One cycle per strongly connected loop found by depth-first search."""
    found, state = [], {}

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m in graph and not state.get(m):
                visit(m, stack)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if not state.get(n):
            visit(n, [])
    return found


def cmake_files(root):
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        if "CMakeLists.txt" in names:
            yield os.path.join(dirpath, "CMakeLists.txt")


def link_errors(root):
    defined, links, errors = {}, {}, []
    for path in cmake_files(root):
        rel = os.path.relpath(path, root)
        with open(path) as f:
            text = re.sub(r"#.*", "", f.read())
        for t in re.findall(r"add_(?:library|executable)\(\s*([A-Za-z0-9_]+)", text):
            defined[t] = rel
        for t, args in re.findall(r"target_link_libraries\(\s*([A-Za-z0-9_]+)([^)]*)\)", text):
            deps = {a for a in args.split() if a not in ("PUBLIC", "PRIVATE", "INTERFACE")}
            links.setdefault(t, set()).update(deps)
            if t == "rseqtrace" and not rel.startswith("tracepoints" + os.sep):
                errors.append(f"{rel}: links into librseqtrace (target rseqtrace): "
                              f"only tracepoints/CMakeLists.txt may")
    seen, todo = set(), ["rseqtrace"]
    while todo:
        t = todo.pop()
        for dep in links.get(t, ()):
            if dep in seen:
                continue
            seen.add(dep)
            todo.append(dep)
            if defined.get(dep, "").startswith("consumerd" + os.sep):
                errors.append(f"librseqtrace links {dep}, a target of {defined[dep]}")
    return errors


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else os.getcwd()))
