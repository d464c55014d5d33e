# Reads {"password": ..., "hash": ...} as JSON on stdin and prints a bcrypt hash of the password: the given hash
# when it still matches (so a re-run changes nothing), a new one otherwise. Runs on the target (python3-bcrypt).
import json
import sys

import bcrypt

data = json.load(sys.stdin)
password = data["password"].encode()
current = (data.get("hash") or "").encode()
try:
    keep = bool(current) and bcrypt.checkpw(password, current)
except ValueError:
    keep = False
print((current if keep else bcrypt.hashpw(password, bcrypt.gensalt(rounds=10))).decode())
