"""A reference evaluator of rseqtrace's filter expressions (lttng's
grammar, filter/compile.h), written from the specification, not from the
C code: the tests compare what the compiler, verifier and interpreter
decide (in one process, and end to end with the daemon) with what this
module says.

    parse(text)              -> AST, or raises Refused (wrong whatever the event)
    applies(ast, fields)     -> None, or the reason the filter cannot apply
                                to an event with these field types
    accepts(ast, values, ctx) -> True if the event is recorded

Field types: "I" (any integer or enum: int64), "F" (float), "S" (string),
anything else (arrays, sequences) cannot be read.
"""
import re

INT64_MIN = -(1 << 63)
MASK = (1 << 64) - 1
CTX = {"vpid": "I", "vtid": "I", "procname": "S", "cpu_id": "I", "pthread_id": "I", "ip": "I",
       "vuid": "I", "veuid": "I", "vsuid": "I", "vgid": "I", "vegid": "I", "vsgid": "I",
       "cgroup_ns": "I", "ipc_ns": "I", "mnt_ns": "I", "net_ns": "I", "pid_ns": "I",
       "time_ns": "I", "user_ns": "I", "uts_ns": "I"}
MAX_TEXT = 4095
MAX_NODES = 1024
MAX_DEPTH = 64
MAX_LIT = 255


class Refused(Exception):
    pass


class Stop(Exception):
    """A zero divisor or a shift count out of range: the filter is false."""


def s64(v):
    v &= MASK
    return v - (1 << 64) if v >> 63 else v


# ---- lexer --------------------------------------------------------------------

OPS = ["||", "&&", "==", "!=", "<=", ">=", "<<", ">>", "<", ">", "|", "^", "&", "+", "-",
       "*", "/", "%", "!", "~", "(", ")"]
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def number(text, i):
    hexa = text.startswith(("0x", "0X"), i)
    j = i
    is_float = False
    while j < len(text) and (text[j].isalnum() or text[j] == "." or
                             (not hexa and text[j] in "+-" and text[j - 1] in "eE")):
        if text[j] == "." or (not hexa and text[j] in "eE"):
            is_float = True
        j += 1
    lit = text[i:j]
    if is_float:
        try:
            v = float(lit)
        except ValueError:
            raise Refused("bad float " + lit)
        if v != v or v in (float("inf"), float("-inf")):
            raise Refused("bad float " + lit)
        return ("float", v), j
    try:
        if hexa:
            v = int(lit[2:], 16)
        elif len(lit) > 1 and lit[0] == "0":
            v = int(lit[1:], 8)
        else:
            v = int(lit, 10)
    except ValueError:
        raise Refused("bad int " + lit)
    if v > MASK:
        raise Refused("int too large")
    return ("int", s64(v)), j


def string(text, i):
    out = []
    i += 1
    while True:
        if i >= len(text):
            raise Refused("string not closed")
        c = text[i]
        i += 1
        if c == '"':
            break
        if c == "\\":
            d = text[i] if i < len(text) else ""
            if d in ('"', "\\"):
                c = d
                i += 1
            elif d == "*":
                out.append("\\")
                c = "*"
                i += 1
            else:
                raise Refused("bad escape")
        out.append(c)
    s = "".join(out)
    if len(s.encode()) > MAX_LIT:
        raise Refused("literal too long")
    return ("str", s), i


def tokens(text):
    i = 0
    out = []
    while True:
        while i < len(text) and text[i] in " \t\n\r\f\v":
            i += 1
        if i >= len(text):
            out.append(("end", None))
            return out
        c = text[i]
        if c.isdigit() or (c == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            t, i = number(text, i)
        elif c == '"':
            t, i = string(text, i)
        elif IDENT.match(text, i):
            m = IDENT.match(text, i)
            i = m.end()
            if i < len(text) and text[i] in "[.":
                raise Refused("no indexes")
            t = ("field", m.group())
        elif text.startswith("$ctx.", i) and IDENT.match(text, i + 5):
            m = IDENT.match(text, i + 5)
            i = m.end()
            if m.group() not in CTX:
                raise Refused("unknown context")
            t = ("ctx", m.group())
        elif text.startswith("$app.", i) and IDENT.match(text, i + 5):
            m = IDENT.match(text, i + 5)
            i = m.end()
            if not (i < len(text) and text[i] == ":" and IDENT.match(text, i + 1)):
                raise Refused("bad $app")
            i = IDENT.match(text, i + 1).end()
            t = ("app", None)
        else:
            for op in OPS:
                if text.startswith(op, i):
                    t = ("op", op)
                    i += len(op)
                    break
            else:
                raise Refused("bad character")
        out.append(t)


# ---- parser: AST nodes are tuples ------------------------------------------------
# ("int", v) ("float", v) ("str", s) ("field", name) ("ctx", name) ("app", None)
# ("un", op, a) ("bin", op, a, b)

LEVELS = [["||"], ["&&"], ["==", "!="], ["<", "<=", ">", ">="], ["|"], ["^"], ["&"],
          ["<<", ">>"], ["+", "-"], ["*", "/", "%"]]


class Parser:
    def __init__(self, text):
        self.toks = tokens(text)
        self.k = 0
        self.nodes = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.k]

    def node(self, n):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise Refused("too many nodes")
        return n

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refused("too deep")

    def top(self):
        self.enter()
        n = self.level(0)
        self.depth -= 1
        return n

    def level(self, lvl):
        if lvl == len(LEVELS):
            return self.unary()
        a = self.level(lvl + 1)
        while self.peek()[0] == "op" and self.peek()[1] in LEVELS[lvl]:
            op = self.peek()[1]
            self.k += 1
            b = self.level(lvl + 1)
            a = self.node(("bin", op, a, b))
        return a

    def unary(self):
        self.enter()
        t = self.peek()
        if t[0] == "op" and t[1] in ("-", "+", "!", "~"):
            self.k += 1
            a = self.unary()
            n = self.node(("un", t[1], a))
        else:
            n = self.primary()
        self.depth -= 1
        return n

    def primary(self):
        t = self.peek()
        if t[0] in ("int", "float", "str", "field", "ctx", "app"):
            self.k += 1
            return self.node(t)
        if t == ("op", "("):
            self.k += 1
            n = self.top()
            if self.peek() != ("op", ")"):
                raise Refused("expected )")
            self.k += 1
            return n
        raise Refused("expected an operand")


# ---- types -----------------------------------------------------------------------

class TypeErr(Exception):
    pass


def num(t):
    return t in ("I", "F", "ANY")


def type_of(n, fields):
    """fields: None (any type: the check when the rule is made) or a dict."""
    k = n[0]
    if k == "int":
        return "I"
    if k == "float":
        return "F"
    if k == "str":
        return "S"
    if k == "ctx":
        return CTX[n[1]]
    if k == "app":
        if fields is None:
            return "ANY"
        raise TypeErr("no app contexts")
    if k == "field":
        if fields is None:
            return "ANY"
        t = fields.get(n[1])
        if t not in ("I", "F", "S"):
            raise TypeErr("missing or unreadable field")
        return t
    if k == "un":
        a = type_of(n[2], fields)
        if n[1] == "~":
            if a in ("I", "ANY"):
                return "I"
            raise TypeErr("~")
        if not num(a):
            raise TypeErr("unary on string")
        return "I" if n[1] == "!" else a
    op, l, r = n[1], n[2], n[3]
    a = type_of(l, fields)
    b = type_of(r, fields)
    if op in ("||", "&&", "<", "<=", ">", ">="):
        if not (num(a) and num(b)):
            raise TypeErr(op)
        return "I"
    if op in ("==", "!="):
        if a == "S" or b == "S":
            if a not in ("S", "ANY") or b not in ("S", "ANY"):
                raise TypeErr("string vs number")
            if l[0] == "str" and r[0] == "str":
                raise TypeErr("two literals")
        return "I"
    if a not in ("I", "ANY") or b not in ("I", "ANY"):
        raise TypeErr(op)
    return "I"


def parse(text):
    if len(text.encode()) > MAX_TEXT:
        raise Refused("too long")
    p = Parser(text)
    n = p.top()
    if p.peek()[0] != "end":
        raise Refused("trailing")
    try:
        if type_of(n, None) == "S":
            raise Refused("string condition")
    except TypeErr as e:
        raise Refused(str(e))
    if not fits(n):
        raise Refused("too large")
    return n


def stack_need(n):
    if n[0] == "un":
        return stack_need(n[2])
    if n[0] != "bin":
        return 1
    return 1 + max(stack_need(n[2]), stack_need(n[3]))


def walk(n):
    yield n
    if n[0] == "un":
        yield from walk(n[2])
    elif n[0] == "bin":
        yield from walk(n[2])
        yield from walk(n[3])


def fits(n):
    nodes = list(walk(n))
    consts = sum(1 for x in nodes if x[0] in ("int", "float"))
    strs = sum(len(x[1].encode()) + 1 for x in nodes if x[0] == "str")
    return (3 * len(nodes) + 2 <= 1024 and consts <= 256 and strs <= 4096 and
            stack_need(n) <= 32)


def applies(ast, fields):
    try:
        if type_of(ast, fields) == "S":
            return "a string is not a condition"
        return None
    except TypeErr as e:
        return str(e)


# ---- evaluation -------------------------------------------------------------------

def glob(pattern, s):
    """'*' matches any run, '\\*' a star, anything else itself."""
    memo = {}

    def m(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(pattern):
            r = j == len(s)
        elif pattern[i] == "*":
            r = m(i + 1, j) or (j < len(s) and m(i, j + 1))
        else:
            if pattern[i] == "\\" and i + 1 < len(pattern) and pattern[i + 1] == "*":
                want, step = "*", 2
            else:
                want, step = pattern[i], 1
            r = j < len(s) and s[j] == want and m(i + step, j + 1)
        memo[key] = r
        return r
    return m(0, 0)


def value(n, ev):
    """(type, value) of a node: ev maps field names and "$ctx.NAME" to values,
    types: a dict "types" of field types."""
    k = n[0]
    if k == "int":
        return "I", n[1]
    if k == "float":
        return "F", n[1]
    if k == "str":
        return "S", n[1]
    if k == "field":
        return ev["types"][n[1]], ev[n[1]]
    if k == "ctx":
        return CTX[n[1]], ev["$ctx." + n[1]]
    if k == "un":
        t, v = value(n[2], ev)
        op = n[1]
        if op == "+":
            return t, v
        if op == "-":
            return (t, -v) if t == "F" else ("I", s64(-v))
        if op == "!":
            return "I", int(v == 0)
        return "I", s64(~v)
    op, l, r = n[1], n[2], n[3]
    if op in ("&&", "||"):
        _, a = value(l, ev)
        if (a != 0) == (op == "||"):
            return "I", int(op == "||")
        _, b = value(r, ev)
        return "I", int(b != 0)
    if op in ("==", "!=") and l[0] == "str" or op in ("==", "!=") and r[0] == "str":
        lit, other = (l, r) if l[0] == "str" else (r, l)
        t, subj = value(other, ev)
        if t == "S":
            eq = glob(lit[1], subj)
            return "I", int(eq if op == "==" else not eq)
    ta, a = value(l, ev)
    tb, b = value(r, ev)
    if ta == "S":
        eq = a == b
        return "I", int(eq if op == "==" else not eq)
    if op in ("==", "!=", "<", "<=", ">", ">="):
        if ta == "F" or tb == "F":
            a, b = float(a), float(b)
        c = {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return "I", int(c)
    ua, ub = a & MASK, b & MASK
    if op == "+":
        return "I", s64(a + b)
    if op == "-":
        return "I", s64(a - b)
    if op == "*":
        return "I", s64(a * b)
    if op in ("/", "%"):
        if b == 0:
            raise Stop()
        if a == INT64_MIN and b == -1:
            return "I", INT64_MIN if op == "/" else 0
        q = abs(a) // abs(b)
        if (a < 0) != (b < 0):
            q = -q
        return "I", q if op == "/" else a - q * b
    if op in ("<<", ">>"):
        if b < 0 or b > 63:
            raise Stop()
        return "I", s64(ua << b if op == "<<" else ua >> b)
    return "I", s64({"&": ua & ub, "|": ua | ub, "^": ua ^ ub}[op])


def accepts(ast, ev):
    try:
        _, v = value(ast, ev)
    except Stop:
        return False
    return v != 0
