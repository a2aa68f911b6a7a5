#!/usr/bin/env python3
"""Writes the seed corpus: one small body per regression class (tests/UploadKit.Core.Tests/Pipeline), BOUNDARY as boundary."""
import base64
import os

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
B = b"BOUNDARY"


def part(headers, content):
    return b"--" + B + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + content + b"\r\n"


def body(*parts, epilogue=b""):
    return b"".join(parts) + b"--" + B + b"--\r\n" + epilogue


def cd(params):
    return b"Content-Disposition: form-data; " + params


seeds = {
    "field-and-file": body(part([cd(b'name="title"')], b"hello"),
                           part([cd(b'name="file"; filename="a.txt"'), b"Content-Type: text/plain"], b"abc\r\n--BOUND")),
    "filename-star-quoted": body(part([cd(b'name="f"; filename*="UTF-8\'\'na%C3%AFve.txt"')], b"x")),
    "name-star": body(part([cd(b"name*=UTF-8''f%C3%A9ld; filename=\"a.txt\"")], b"x")),
    "quoted-pair": body(part([cd(b'name="a\\"b"; filename="a\\"b.txt"')], b"x")),
    "rfc2231-example": body(part([cd(b"name=\"t\"; filename*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A")], b"x")),
    "rfc8187-latin1": body(part([cd(b"name=\"t\"; filename*=iso-8859-1'en'%A3%20rates")], b"x")),
    "base64-file": body(part([cd(b'name="f"; filename="b.bin"'), b"Content-Transfer-Encoding: base64"],
                             b"\r\n".join(base64.encodebytes(bytes(range(256)) * 3).split(b"\n")))),
    "base64-field": body(part([cd(b'name="t"'), b"Content-Transfer-Encoding: BASE64"], base64.b64encode("h\u00e9llo".encode()))),
    "base64-invalid": body(part([cd(b'name="f"; filename="b.bin"'), b"Content-Transfer-Encoding: base64"], b"YWJj=x")),
    "base64-whitespace": body(part([cd(b'name="f"; filename="b.bin"'), b"Content-Transfer-Encoding: base64"], b" \t\r\n" * 200 + b"YQ==")),
    "quoted-printable": body(part([cd(b'name="f"; filename="q.txt"'), b"Content-Transfer-Encoding: quoted-printable"], b"a=3Db")),
    "empty": b"",
    "close-only": b"--BOUNDARY--\r\n",
    "unnamed-files": body(*[part([cd(b'name=""; filename="/"')], b"") for _ in range(20)]),
    "header-count": body(part([cd(b'name="a"')] + [b"X-H%d: v" % i for i in range(20)], b"x")),
    "folded-header": body(part([cd(b'name="a";'), b" filename=\"f.txt\"", b"\tX: y"], b"x")),
    "latin1-filename": body(part([cd(b'name="f"; filename="caf\xe9.txt"')], b"x")),
    "charset": body(part([cd(b'name="f"; filename="c.txt"'), b'Content-Type: text/plain; charset="ISO-8859-1"; format=flowed'], b"caf\xe9")),
    "huge-header-line": body(part([cd(b'name="a"'), b"X-Long: " + b"v" * 20000], b"x")),
    "preamble-epilogue": b"junk\r\n" * 500 + body(part([cd(b'name="a"')], b"x"), epilogue=b"trailer\r\n" * 500),
    "crlf-heavy": body(part([cd(b'name="f"; filename="c.bin"')], b"\r\n" * 2000)),
    "prefix-heavy": body(part([cd(b'name="f"; filename="p.bin"')], b"\r\n--BOUNDAR" * 300)),
    "long-boundary": b"Boundary: " + b"x" * 71 + b"\n--" + b"x" * 71 + b"\r\n" + cd(b'name="a"') + b"\r\n\r\nv\r\n--" + b"x" * 71 + b"--",
    "quoted-boundary": b"Boundary: \"a b:c\"\n--a b:c\r\n" + cd(b'name="a"') + b"\r\n\r\nv\r\n--a b:c--",
    "empty-parts": (b"--" + B + b"\r\n\r\n\r\n") * 200 + b"--" + B + b"--",
    "nested-mixed": body(part([cd(b'name="files"'), b"Content-Type: multipart/mixed; boundary=inner"],
                              b"--inner\r\nContent-Disposition: file; filename=\"x.txt\"\r\n\r\nx\r\n--inner--")),
    "truncated": b"--" + B + b"\r\n" + cd(b'name="a"') + b"\r\n\r\nvalue",
    "padding": b"preamble\r\n--" + B + b" \t\r\n" + cd(b'name="a"') + b"\r\n\r\n1\r\n--" + B + b"--\r\nepilogue",
}

for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(len(seeds), "seeds in", out)
