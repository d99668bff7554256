"""Verifies every DKIM-Signature of one message with dkimpy, the public keys given, no DNS.

Usage: dkim_verify.py MESSAGE_FILE SELECTOR._domainkey.DOMAIN=TXT_RECORD...
Prints one line per signature, top first: "<d> <s> <a> pass" or "<d> <s> <a> fail <reason>".
"""
import sys

import dkim

message = open(sys.argv[1], "rb").read()
records = {}
for arg in sys.argv[2:]:
    name, _, record = arg.partition("=")
    records[name.lower().rstrip(".")] = record.encode("ascii")


def dns(name, timeout=5):
    # No DNS: only the records the test supplied exist.
    key = name.decode("ascii").lower().rstrip(".")
    return records.get(key)


verifier = dkim.DKIM(message)
signatures = [v for (k, v) in verifier.headers if k.lower() == b"dkim-signature"]
if not signatures:
    print("none")
for index in range(len(signatures)):
    tags = dkim.util.parse_tag_value(signatures[index])
    label = b" ".join([tags.get(b"d", b"?"), tags.get(b"s", b"?"), tags.get(b"a", b"?")]).decode("ascii")
    try:
        ok = verifier.verify(idx=index, dnsfunc=dns)
        print(label + (" pass" if ok else " fail signature does not match"))
    except dkim.DKIMException as e:
        print(label + " fail " + str(e).replace("\n", " "))
