using System.Text;

namespace UploadKit.Testing;

/// <summary>A body of one adversarial shape: its bytes, and the file bytes it carries when it is accepted.</summary>
/// <param name="Body">The request body.</param>
/// <param name="FileBytes">The decoded bytes of all its files, when the default options accept it.</param>
public sealed record AdversarialBody(byte[] Body, long FileBytes);

/// <summary>One class of multipart attack (the parser CVEs of 2023–2026), as a body of any size.</summary>
/// <param name="Name">The class.</param>
/// <param name="ContentType">The request's Content-Type.</param>
/// <param name="Status">The answer under the default <c>UploadOptions</c>: 200, or the refusal.</param>
/// <param name="Build">Builds a body of about the given number of bytes.</param>
public sealed record AdversarialShape(string Name, string ContentType, int Status, Func<int, AdversarialBody> Build)
{
    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// Multipart bodies shaped like the attacks on multipart parsers, scaled to any size: used by the attack-class
/// regression tests (status, nothing on disk, allocation that does not grow with the body) and by the
/// benchmark's <c>cpu</c> mode (processor time per MiB next to random data).
/// </summary>
public static class AdversarialBodies
{
    /// <summary>The boundary of every shape but the over-long one.</summary>
    public const string Boundary = "AdversarialBoundary7MA4YWxkTrZu0gW";

    /// <summary>The multipart Content-Type with <see cref="Boundary"/>.</summary>
    public const string ContentType = "multipart/form-data; boundary=" + Boundary;

    private const string FileHeaders = "Content-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n" +
        "Content-Type: application/octet-stream\r\n\r\n";

    /// <summary>Random data in one file part: the baseline the others are measured against.</summary>
    public static AdversarialShape Random { get; } = new("random data in a file", ContentType, 200, size => File(size, Fill(size, random: true)));

    /// <summary>Every class, <see cref="Random"/> first.</summary>
    public static IReadOnlyList<AdversarialShape> All { get; } =
    [
        Random,
        new("CR/LF-heavy file data", ContentType, 200, size => File(size, Repeat("\r\n", size))),
        new("boundary-prefix-heavy file data", ContentType, 200, size => File(size, Repeat("\r\n--" + Boundary[..^1], size))),
        new("preamble and epilogue junk", ContentType, 200, size =>
        {
            var junk = Repeat("\r\n--" + Boundary[..^3] + " junk\r\n", size / 2);
            var body = Concat(junk, Text($"\r\n--{Boundary}\r\n{FileHeaders}abc\r\n--{Boundary}--\r\n"), junk);
            return new AdversarialBody(body, 3);
        }),
        new("base64 part that is mostly whitespace", ContentType, 200, size =>
        {
            var whitespace = Repeat(" \t\r\n", size);
            var body = Concat(
                Text($"--{Boundary}\r\n{FileHeaders[..^2]}Content-Transfer-Encoding: base64\r\n\r\nYW"),
                whitespace,
                Text($"Jj\r\n--{Boundary}--\r\n"));
            return new AdversarialBody(body, 3);
        }),
        new("base64 file data with line breaks", ContentType, 200, size =>
        {
            var data = Fill(size / 4 * 3 * 76 / 78, random: true);
            var encoded = Text(Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks));
            var body = Concat(
                Text($"--{Boundary}\r\n{FileHeaders[..^2]}Content-Transfer-Encoding: base64\r\n\r\n"), encoded, Text($"\r\n--{Boundary}--\r\n"));
            return new AdversarialBody(body, data.Length);
        }),
        new("a million empty file parts", ContentType, 413, size =>
            Parts(size, $"--{Boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n\r\n")),
        new("a million empty fields", ContentType, 413, size =>
            Parts(size, $"--{Boundary}\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n\r\n")),
        new("many headers in a part", ContentType, 413, size =>
            Parts(size, "X-Header: value\r\n", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n")),
        new("folded headers", ContentType, 400, size =>
            Parts(size, $"--{Boundary}\r\nContent-Disposition: form-data; name=\"f\";\r\n filename=\"a.bin\"\r\n\r\nx\r\n")),
        new("one huge header line", ContentType, 413, size =>
            Parts(size, "v", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nX-Long: ")),
        new("boundary over 70 characters", "multipart/form-data; boundary=" + new string('b', 71), 400, size =>
            Parts(size, $"--{new string('b', 71)}\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nx\r\n")),
        new("multipart/mixed inside a part", ContentType, 400, size =>
        {
            var inner = Repeat("--inner\r\nContent-Disposition: file; filename=\"x.bin\"\r\n\r\nxxxx\r\n", size);
            var body = Concat(
                Text($"--{Boundary}\r\nContent-Disposition: form-data; name=\"files\"\r\nContent-Type: multipart/mixed; boundary=inner\r\n\r\n"),
                inner,
                Text($"--inner--\r\n--{Boundary}--\r\n"));
            return new AdversarialBody(body, 0);
        }),
    ];

    private static AdversarialBody File(int size, byte[] content) =>
        new(Concat(Text($"--{Boundary}\r\n{FileHeaders}"), content, Text($"\r\n--{Boundary}--\r\n")), content.Length);

    /// <summary>An opening, then <paramref name="unit"/> repeated to the size, then a close; not meant to be accepted.</summary>
    private static AdversarialBody Parts(int size, string unit, string opening = "") =>
        new(Concat(Text(opening), Repeat(unit, size), Text($"\r\n\r\nx\r\n--{Boundary}--\r\n")), 0);

    private static byte[] Fill(int size, bool random)
    {
        var data = new byte[size];
        if (random)
        {
            new System.Random(20_240_601).NextBytes(data);
        }

        return data;
    }

    private static byte[] Repeat(string unit, int size)
    {
        var pattern = Text(unit);
        var data = new byte[size / pattern.Length * pattern.Length];
        for (var offset = 0; offset < data.Length; offset += pattern.Length)
        {
            pattern.CopyTo(data, offset);
        }

        return data;
    }

    private static byte[] Text(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Concat(params byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, offset);
            offset += part.Length;
        }

        return all;
    }
}
