"""Adapts an upstream Katib example (tests/testdata/katib) to run on this machine.

katib_adapt.py MANIFEST PROGRAM [--script PATH] [KEY=VALUE...] [setting:NAME=VALUE...]

Prints MANIFEST with its container's script argument (PATH, by default
"/opt/pytorch-mnist/mnist.py") replaced by "-c" PROGRAM's text: python3 and the
upstream arguments stay. KEY=VALUE sets a top-level spec field
(maxTrialCount, parallelTrialCount); setting:NAME=VALUE sets the algorithm
setting NAME, adding it when the example has none by that name. Nothing else
changes.
"""
import json
import re
import sys

args = sys.argv[1:]
manifest, program = args[0], args[1]
rest = args[2:]
script = "/opt/pytorch-mnist/mnist.py"
if rest[:1] == ["--script"]:
    script, rest = rest[1], rest[2:]
text = open(manifest).read()
code = open(program).read()
m = re.search(r'^( *)- "' + re.escape(script) + r'"\n', text, re.M)
assert m, f"no {script} argument in {manifest}"
ind = m.group(1)
text = text[:m.start()] + f'{ind}- "-c"\n{ind}- {json.dumps(code)}\n' + text[m.end():]
for kv in rest:
    key, value = kv.split("=", 1)
    if key.startswith("setting:"):
        name = key[len("setting:"):]
        text, n = re.subn(rf'^(      - name: "?{re.escape(name)}"?\n        value: ).*$', rf"\g<1>{json.dumps(value)}", text, flags=re.M)
        if n == 0:
            text, n = re.subn(r"^(    algorithmSettings:\n)", rf'\g<1>      - name: {name}\n        value: {json.dumps(value)}\n', text, flags=re.M)
        assert n == 1, name
        continue
    text, n = re.subn(rf"^(  {key}: ).*$", rf"\g<1>{value}", text, flags=re.M)
    assert n == 1, key
sys.stdout.write(text)
