# gdb script for the single-step test: stop in traced_write(), stepi through
# it (and the rt_write inside) until it returns to main, or STEP_LIMIT steps,
# then continue to the end of the program.
import os
import gdb

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("break traced_write")
gdb.execute("run")
limit = int(os.environ.get("STEP_LIMIT", "300000"))
steps = 0
while steps < limit:
    gdb.execute("stepi", to_string=True)
    steps += 1
    if gdb.selected_frame().name() == "main":
        break
print("STEPS %d %s" % (steps, "returned" if steps < limit else "limit"))
gdb.execute("continue")
