#!/usr/bin/python3
"""Property test of the filter compiler, verifier and interpreter against
the reference evaluator (oracle.py): random expressions over the fields of
rtf:ev (tests/filter/ftp.h) and random events, in one process (rt_fcheck:
the event's real probe fills the argument view the program reads). For
every expression the two
must agree on refused / cannot apply / compiled, and for every event on
recorded or not. Also: malformed and oversize expressions are refused with
a message.

RT_ORACLE_SEED and RT_ORACLE_N choose the run (default: a fixed seed, 3000
expressions x 12 events)."""
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
from rtd import BUILD, Fail, check, run_tests  # noqa: E402

FCHECK = os.path.join(BUILD, "tests", "filter", "rt_fcheck")
# rtf:ev's fields as a filter sees them (seq is a sequence: unreadable).
TYPES = {"n": "I", "s": "S", "i": "I", "u": "I", "l": "I", "t": "S", "ul": "I", "b": "I",
         "f": "F", "g": "F", "e": "I", "be": "I", "seq": "Q"}
INT_FIELDS = ["n", "i", "u", "l", "ul", "b", "e", "be"]
WORDS = ["", "a", "ab", "abc", "b", "ba", "*", "x*y", "hello", "help", "he", "a*b"]


class Fcheck:
    def __init__(self):
        self.p = subprocess.Popen([FCHECK], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        ans = self.p.stdout.readline()
        if not ans:
            raise Fail("rt_fcheck died on: " + line)
        return ans.rstrip("\n")

    def close(self):
        self.p.stdin.close()
        check(self.p.wait(30) == 0, "rt_fcheck exit status")


def rand_float32(r):
    x = r.choice([0.0, 1.0, -1.0, 0.5, r.uniform(-1000, 1000), r.uniform(-1e10, 1e10)])
    return struct.unpack("f", struct.pack("f", x))[0]


def rand_event(r):
    def pick(lo, hi, specials):
        return r.choice(specials + [r.randint(lo, hi), r.randint(-3, 3) if lo < 0 else r.randint(0, 5)])
    i = pick(-2**31, 2**31 - 1, [0, 1, -1, 2**31 - 1, -2**31])
    u = pick(0, 65535, [0, 1, 65535, 100, 101])
    l = pick(-2**63, 2**63 - 1, [0, -1, 2**63 - 1, -2**63, 63, 64])
    ul = pick(0, 2**64 - 1, [0, 2**64 - 1, 2**63])
    b = pick(-128, 127, [0, -128, 127, 3])
    f = r.choice([0.0, -0.0, 1.0, 1.5, -2.25, r.uniform(-1e6, 1e6), 1e300, float(2**53 + 1)])
    g = rand_float32(r)
    s = r.choice(WORDS[:6] + WORDS[8:10] + ["x-y", "xzy"])
    t = r.choice(WORDS[:6] + WORDS[8:10] + ["ab*", "a*b"])
    return [i, u, l, ul, b, f, g, s, t]


# What fstub.h's environment gives the ids and namespace contexts.
CTX_VALUES = {"$ctx.vuid": 1000, "$ctx.veuid": 1001, "$ctx.vsuid": 1002, "$ctx.vgid": 2000,
              "$ctx.vegid": 2001, "$ctx.vsgid": 2002, **{f"$ctx.{n}": 4026531835 + k for k, n in
              enumerate(("cgroup_ns", "ipc_ns", "mnt_ns", "net_ns", "pid_ns", "time_ns",
                         "user_ns", "uts_ns"))}}


def event_values(v):
    i, u, l, ul, b, f, g, s, t = v
    ev = {"types": TYPES, "n": 7, "i": i, "u": u, "l": l, "ul": oracle.s64(ul), "b": b,
          "f": f, "g": g, "s": s, "t": "(null)" if t is None else t, "e": u % 101,
          "be": i & 0xFFFFFFFF,
          "$ctx.vpid": 1, "$ctx.vtid": 2, "$ctx.procname": "fcheck"}
    ev.update(CTX_VALUES)
    return ev


def values_line(v):
    """t None: a NULL pointer (fcheck, fapp)."""
    i, u, l, ul, b, f, g, s, t = v
    return "V\t" + "\t".join([str(i), str(u), str(l), str(ul), str(b), repr(f), repr(g), s,
                              "<NULL>" if t is None else t])


def rand_literal(r):
    k = r.random()
    if k < 0.45:
        v = r.choice([0, 1, 2, 3, 7, 63, 64, 100, 255, 65535, 2**31 - 1, 2**63 - 1,
                      r.randint(0, 1000), r.randint(0, 2**64 - 1)])
        return r.choice([str(v), hex(v)]) if v < 2**64 else str(v)
    if k < 0.65:
        return r.choice(["0.0", "1.5", "-0.5", "1e3", "2.5e-1", ".25", "100.", "1e300"])
    return '"' + r.choice(WORDS + ["he*", "*lp", "a\\*b", "ab\\*", "x\\\\y"]) + '"'


def rand_operand(r):
    k = r.random()
    if k < 0.55:
        return r.choice(list(TYPES) + ["zz"])
    if k < 0.62:
        return r.choice(["$ctx.vpid", "$ctx.vtid", "$ctx.procname", "$app.p:c"] + list(CTX_VALUES))
    return rand_literal(r)


BIN = ["||", "&&", "==", "!=", "<", "<=", ">", ">=", "|", "^", "&", "<<", ">>", "+", "-",
       "*", "/", "%"]


def rand_expr(r, depth):
    if depth == 0 or r.random() < 0.25:
        return rand_operand(r)
    k = r.random()
    if k < 0.15:
        return r.choice(["-", "+", "!", "~"]) + rand_expr(r, depth - 1)
    if k < 0.25:
        return "(" + rand_expr(r, depth - 1) + ")"
    op = r.choice(BIN + ["==", "&&", "||", "=="])
    sp = r.choice(["", " "])
    return rand_expr(r, depth - 1) + sp + op + sp + rand_expr(r, depth - 1)


def typed_expr(r, depth):
    """Mostly well-typed expressions, so that events decide."""
    if depth == 0 or r.random() < 0.2:
        k = r.random()
        if k < 0.3:
            lit = r.choice(WORDS + ["he*", "*b", "a\\*b", "f*"])
            return f'{r.choice(["s", "t", "$ctx.procname"])} {r.choice(["==", "!="])} "{lit}"'
        if k < 0.4:
            return f'{r.choice(["s", "t"])} {r.choice(["==", "!="])} {r.choice(["s", "t"])}'
        a = r.choice(INT_FIELDS + ["f", "g", "$ctx.vuid", "$ctx.vsgid", "$ctx.net_ns"])
        return f"{a} {r.choice(['==', '!=', '<', '<=', '>', '>='])} {int_or_float(r)}"
    k = r.random()
    if k < 0.35:
        return "(" + typed_expr(r, depth - 1) + ") " + r.choice(["&&", "||"]) + \
               " (" + typed_expr(r, depth - 1) + ")"
    if k < 0.45:
        return "!(" + typed_expr(r, depth - 1) + ")"
    a = int_expr(r, depth - 1)
    return f"{a} {r.choice(['==', '!=', '<', '<=', '>', '>='])} {int_or_float(r)}"


def int_or_float(r):
    return r.choice([str(r.randint(-5, 200)), "0", "-1", "1.5", "-0.5", "1e300",
                     str(2**63 - 1), "0x7fffffff", r.choice(INT_FIELDS + ["f", "g"])])


def int_expr(r, depth):
    if depth <= 0 or r.random() < 0.3:
        return r.choice(INT_FIELDS + [str(r.randint(0, 70)), "-1", "0"])
    op = r.choice(["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^"])
    un = r.choice(["", "", "-", "~", "!"])
    return f"{un}({int_expr(r, depth - 1)} {op} {int_expr(r, depth - 1)})"


def compare(fc, text, events, stats):
    try:
        ast = oracle.parse(text)
        want = "OK" if oracle.applies(ast, TYPES) is None else "NA"
    except oracle.Refused:
        ast, want = None, "ERR"
    got = fc.ask("X " + text)
    check(got.split(" ", 1)[0] == want, f"{text!r}: fcheck {got!r}, oracle {want}")
    check(want == "OK" or len(got) > 4, f"{text!r}: no reason given ({got!r})")
    stats[want] += 1
    if want != "OK":
        return
    for v in events:
        w = oracle.accepts(ast, event_values(v))
        g = fc.ask(values_line(v))
        check(g in ("0", "1"), f"{text!r} on {v}: fcheck said {g!r}")
        check(int(g) == int(w), f"{text!r} on {v}: fcheck {g}, oracle {int(w)}")
        stats["accepted" if w else "rejected"] += 1


def test_random_expressions():
    seed = int(os.environ.get("RT_ORACLE_SEED", "1505"))
    n = int(os.environ.get("RT_ORACLE_N", "3000"))
    r = random.Random(seed)
    fc = Fcheck()
    stats = {"OK": 0, "NA": 0, "ERR": 0, "accepted": 0, "rejected": 0}
    events = [rand_event(r) for _ in range(12)]
    for k in range(n):
        text = typed_expr(r, 3) if k % 2 else rand_expr(r, 4)
        compare(fc, text, events if k % 3 else [rand_event(r) for _ in range(12)], stats)
    fc.close()
    print(f"seed {seed}: {stats}")
    # The run must exercise every outcome, or it shows nothing.
    for k in ("OK", "NA", "ERR", "accepted", "rejected"):
        check(stats[k] > n // 50, f"too few {k} ({stats})")


def test_semantics_by_hand():
    """Cases worth naming, each against the oracle and a fixed answer."""
    fc = Fcheck()
    ev = [5, 7, -9, 2**64 - 1, -3, 2.5, 0.5, "hello", "a*b"]
    cases = [
        ('s == "hel*"', 1), ('s == "*llo"', 1), ('s == "h*x"', 0), ('"hello" == s', 1),
        ('t == "a\\*b"', 1), ('t == "a*b"', 1), ('t == "aXb"', 0), ('s != t', 1),
        ("ul == -1", 1), ("ul < 0", 1), ("b == -3 && i == 5", 1), ("i / 0 == 0", 0),
        ("i / 0 == 0 || 1", 0), ("1 || i / 0", 1), ("0 && i / 0", 0), ("1 << 64", 0),
        ("1 << 63 < 0", 1), ("-9223372036854775808 / -1 == -9223372036854775808", 1),
        ("-7 / 2 == -3 && -7 % 2 == -1", 1), ("2 & 2 == 2", 1), ("f == 2.5 && g == 0.5", 1),
        ("f > i", 0), ("i < f", 0), ("!f", 0), ("!0.0", 1), ("e == 7 && be == 5", 1),
        ("$ctx.vpid == 1 && $ctx.procname == \"fc*\"", 1), ("u == 7.0", 1),
        ("~0 == -1", 1), ("0x10 == 16 && 010 == 8", 1), ("l == -9", 1), ("n == 7", 1),
        ("$ctx.vuid == 1000 && $ctx.veuid == 1001 && $ctx.vsuid == 1002", 1),
        ("$ctx.vgid == 2000 && $ctx.vegid == 2001 && $ctx.vsgid == 2002", 1),
        ("$ctx.cgroup_ns == 4026531835 && $ctx.uts_ns == 4026531842", 1), ("$ctx.vsuid == 1001", 0),
    ]
    for text, want in cases:
        ast = oracle.parse(text)
        check(oracle.applies(ast, TYPES) is None, f"{text}: should apply")
        check(int(oracle.accepts(ast, event_values(ev))) == want, f"oracle disagrees on {text}")
        check(fc.ask("X " + text) == "OK", f"{text}: not compiled")
        check(fc.ask(values_line(ev)) == str(want), f"{text}: wanted {want}")
    fc.close()


def check_against_oracle(fc, texts, events):
    for text in texts:
        ast = oracle.parse(text)
        check(oracle.applies(ast, TYPES) is None, f"{text}: should apply")
        check(fc.ask("X " + text) == "OK", f"{text}: not compiled")
        for v in events:
            want = int(oracle.accepts(ast, event_values(v)))
            got = fc.ask(values_line(v))
            check(got == str(want), f"{text} on {v}: fcheck {got}, oracle {want}")


def test_fused_comparisons():
    """The shapes the app decodes into one instruction (a field against a
    constant, either way round; a string field against a glob) alone (the
    quick path), negated, and joined by && and || (the fused jumps), on
    every integer field type at its edges, against the oracle."""
    fc = Fcheck()
    events = [[0, 0, 0, 0, 0, 0.0, 0.0, "", ""],
              [-1, 65535, -1, 2**64 - 1, -1, 1.0, 1.0, "hello", "a*b"],
              [1, 2, -2**63 + 1, 2**63 - 1, 0, 0.0, 0.0, "", ""],
              [2**31 - 1, 1, 2**63 - 1, 2**63, 127, -1.0, -1.0, "he", "help"],
              [-2**31, 100, -2**63, 1, -128, 0.5, 0.5, "ab", "x"]]
    consts = ["0", "-1", "1", "127", "-128", "65535", "2147483647", "-2147483648",
              "9223372036854775807", "-9223372036854775808", "0xffffffff"]
    ops = ["==", "!=", "<", "<=", ">", ">="]
    texts = []
    for fld in INT_FIELDS:
        for k, c in enumerate(consts):
            op, op2 = ops[k % 6], ops[(k + 2) % 6]
            texts += [f"{fld} {op} {c}", f"{c} {op2} {fld}", f"!({fld} {op2} {c})"]
        for op in ops:
            texts += [f"{fld} {op} 1", f"1 {op} {fld}"]
    # Every condition against the ends of int64 (the quick filter's empty
    # and full ranges).
    for c in ["9223372036854775807", "-9223372036854775808", "-9223372036854775807"]:
        for op in ops:
            texts += [f"l {op} {c}", f"{c} {op} l", f"ul {op} {c}"]
    for a, b in [("i < 0", "u >= 100"), ("l == -1", "0 > b"), ("ul != 0", "e <= 1"),
                 ('s == "he*"', "i > 0"), ('t != "*b"', 's == "hel*"'), ("n == 7", 't == "*"')]:
        for j in ["&&", "||"]:
            texts += [f"{a} {j} {b}", f"({a}) {j} ({b}) {j} i != 5", f"!({a} {j} {b})",
                      f"({a} {j} {b}) == 1", f"({a}) + 1 == 1 {j} {b}"]
    for lit in ["he*", "*", "", "a\\*b", "*b", "hello"]:
        for s_ in ["s", "t"]:
            texts += [f'{s_} == "{lit}"', f'{s_} != "{lit}"', f'"{lit}" == {s_}']
    check_against_oracle(fc, texts, events)
    fc.close()


def test_null_string():
    """A NULL string argument reads "(null)", as the probe records it."""
    fc = Fcheck()
    ev = [1, 2, 3, 4, 5, 0.5, 0.5, "hello", None]
    cases = [('t == "(null)"', 1), ('t == "(nu*"', 1), ('t == ""', 0), ('t != s', 1),
             ('t == "(null)" && i == 1', 1), ('t == "x" || t == "(null)"', 1)]
    for text, want in cases:
        ast = oracle.parse(text)
        check(int(oracle.accepts(ast, event_values(ev))) == want, f"oracle disagrees on {text}")
        check(fc.ask("X " + text) == "OK", f"{text}: not compiled")
        check(fc.ask(values_line(ev)) == str(want), f"{text}: wanted {want}")
    fc.close()


def test_refused_with_a_message():
    fc = Fcheck()
    bad = ["", "   ", "i ==", "(i == 1", "i == 1)", "i === 1", "i = 1", "$ctx.nope == 1",
           "$app.x == 1", "s.x == 1", "seq[1] == 1", '"a" == "b"', 's < "a"',
           '"abc"', "1.5 & 1", "~1.5", '-"a"', "i @ 1", '"unterminated', '"\\q" == s',
           "99999999999999999999 == i", "1e999 == f", "0x == 1", "08 == 1",
           "(" * 70 + "1" + ")" * 70, "-" * 70 + "1", "1" + " + 1" * 400,
           "+".join(["1.5"] * 300) + " > 0", "i" + "".join(" + (i" for _ in range(40)) + ")" * 40,
           "s == \"" + "a" * 300 + "\"", "i == 1" + " " * 5000]
    for text in bad:
        try:
            oracle.parse(text)
            raise Fail(f"the oracle accepts {text[:60]!r}")
        except oracle.Refused:
            pass
        got = fc.ask("X " + text)
        check(got.startswith("ERR ") and len(got) > 8, f"{text[:60]!r}: {got!r}")
    # Cannot apply to rtf:ev (missing field, unreadable type): false there, not refused.
    for text in ["zz == 1", "seq == 1", "$app.p:c == 1", "s + 1 == 2", "f & 1", "s == 1", "(t)"]:
        got = fc.ask("X " + text)
        check(got.startswith("NA "), f"{text}: {got!r}")
    fc.close()


if __name__ == "__main__":
    run_tests([test_semantics_by_hand, test_fused_comparisons, test_null_string,
               test_refused_with_a_message, test_random_expressions])
