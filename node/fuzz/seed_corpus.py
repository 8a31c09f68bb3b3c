"""Seeds the fuzz corpora with the reference vectors' entries and operations."""

import json
import os
import sys

vectors_path, corpus_dir = sys.argv[1], sys.argv[2]
with open(vectors_path) as file:
    vectors = json.load(file)

cases = vectors["entries"] + vectors["invalid"]
for target, key in (("decode_entry", "entry_hex"), ("decode_operation", "operation_hex")):
    directory = os.path.join(corpus_dir, target)
    os.makedirs(directory, exist_ok=True)
    for index, case in enumerate(cases):
        with open(os.path.join(directory, f"vector-{index}"), "wb") as file:
            file.write(bytes.fromhex(case[key]))
