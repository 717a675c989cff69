#!/usr/bin/env python3
"""Prints the ratio of a hyperfine run's two commands: peer mean / kf mean."""
import json
import sys

results = json.load(open(sys.argv[1]))["results"]
kf, peer = results[0], results[1]
print(f"kf:   {kf['command']}: {kf['mean'] * 1000:.2f} ms ± {kf['stddev'] * 1000:.2f} (median {kf['median'] * 1000:.2f})")
print(f"peer: {peer['command']}: {peer['mean'] * 1000:.2f} ms ± {peer['stddev'] * 1000:.2f} (median {peer['median'] * 1000:.2f})")
print(f"ratio peer/kf: {peer['mean'] / kf['mean']:.1f}x (medians: {peer['median'] / kf['median']:.1f}x)")
