"""Reads .eml messages back with Python's standard email package, for MimeRoundTripTest.

Input on stdin: messages framed as "<length in ASCII digits>\\n<length bytes>", until EOF.
Output on stdout: one line per message, in order: tab-separated "key=value" items, each value
the hex of its UTF-8 bytes, so that no text needs escaping. The keys are those of
MimeRoundTripTest.expected(Email), plus "part.N.get_filename" (what get_filename() gives) and
"defect.N" (any defect Python registers); an exception while reading a message is an "error" item.
"""
import email
import email.policy
import hashlib
import sys
import traceback

# The headers a Postline message always has; every other one is a custom header.
STANDARD = {"from", "to", "cc", "reply-to", "subject", "date", "message-id", "mime-version",
            "content-type", "content-transfer-encoding"}
ADDRESS_FIELDS = ("from", "to", "cc", "reply-to")


def hexed(text):
    return text.encode("utf-8", "backslashreplace").hex()


def read(raw):
    items = []

    def put(key, value):
        items.append((key, value))

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    # The policy parses a header on every access: each is fetched once.
    headers = {name.lower(): msg[name] for name in msg.keys()}
    defects = [name + ": " + type(defect).__name__
               for name, header in headers.items() for defect in header.defects]
    put("subject", str(headers.get("subject")))
    for field in ADDRESS_FIELDS:
        for i, address in enumerate(headers[field].addresses if field in headers else ()):
            put(f"{field}.{i}.name", address.display_name)
            put(f"{field}.{i}.addr", address.addr_spec)
    if "bcc" in headers:
        put("bcc", str(headers["bcc"]))
    for name, header in headers.items():
        if name not in STANDARD:
            put("header." + name, str(header))

    texts, htmls, files = [], [], []
    walk(msg, texts, htmls, files, defects)
    for i, text in enumerate(texts):
        put(f"text.{i}", text)
    for i, html in enumerate(htmls):
        put(f"html.{i}", html)
    for i, part in enumerate(files):
        for key, value in part:
            put(f"part.{i}.{key}", value)
    for i, defect in enumerate(defects):
        put(f"defect.{i}", defect)
    return items


def walk(part, texts, htmls, files, defects):
    ctype = part.get_content_type()
    defects.extend(ctype + ": " + type(d).__name__ for d in part.defects)
    if part.is_multipart() and not ctype.startswith("message/"):
        for child in part.iter_parts():
            walk(child, texts, htmls, files, defects)
        return
    disposition = part.get_content_disposition()
    if disposition is None and ctype == "text/plain":
        texts.append(part.get_content())
    elif disposition is None and ctype == "text/html":
        htmls.append(part.get_content())
    else:
        leaf = [("type", ctype), ("disposition", str(disposition))]
        leaf.append(("filename", str(part["content-disposition"].params.get("filename"))))
        leaf.append(("get_filename", str(part.get_filename())))
        leaf.append(("name", str(part["content-type"].params.get("name"))))
        cid = part["content-id"]
        leaf.append(("cid", "None" if cid is None else str(cid)))
        leaf.append(("sha256", hashlib.sha256(content_bytes(part)).hexdigest()))
        files.append(leaf)


def content_bytes(part):
    if part.get_content_type().startswith("message/"):
        # Parsed into a message of its own: written back as it came, CRLF lines, nothing refolded.
        inner = part.get_payload(0)
        policy = email.policy.compat32.clone(linesep="\r\n", max_line_length=0)
        return inner.as_bytes(policy=policy)
    return part.get_payload(decode=True)


def main():
    data = sys.stdin.buffer.read()
    out = sys.stdout
    at = 0
    while at < len(data):
        newline = data.index(b"\n", at)
        length = int(data[at:newline])
        raw = data[newline + 1:newline + 1 + length]
        at = newline + 1 + length
        try:
            items = read(raw)
        except Exception:  # one message's failure is reported with it, the others still read
            items = [("error", traceback.format_exc())]
        out.write("\t".join(key + "=" + hexed(value) for key, value in items) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
