using System.Text;

namespace UploadKit.Testing;

/// <summary>Builds multipart/form-data bodies byte by byte, including malformed ones, for tests.</summary>
public sealed class MultipartBodyBuilder
{
    private readonly MemoryStream _body = new();

    /// <summary>Creates a builder with a boundary.</summary>
    /// <param name="boundary">The boundary; a fixed default keeps failures readable.</param>
    public MultipartBodyBuilder(string boundary = "----UploadKitBoundary7MA4YWxkTrZu0gW") => Boundary = boundary;

    /// <summary>The boundary.</summary>
    public string Boundary { get; }

    /// <summary>The Content-Type header value for the body.</summary>
    public string ContentType => $"multipart/form-data; boundary={Boundary}";

    /// <summary>Adds a text field.</summary>
    public MultipartBodyBuilder AddField(string name, string value) =>
        AddPart($"Content-Disposition: form-data; name=\"{name}\"\r\n", Encoding.UTF8.GetBytes(value));

    /// <summary>Adds a file part.</summary>
    public MultipartBodyBuilder AddFile(string name, string fileName, byte[] content, string contentType = "application/octet-stream") =>
        AddPart($"Content-Disposition: form-data; name=\"{name}\"; filename=\"{fileName}\"\r\nContent-Type: {contentType}\r\n", content);

    /// <summary>Adds a part with raw header lines (each ending in CRLF) and content.</summary>
    public MultipartBodyBuilder AddPart(string headers, byte[] content)
    {
        Write($"--{Boundary}\r\n{headers}\r\n");
        _body.Write(content);
        Write("\r\n");
        return this;
    }

    /// <summary>Adds a part whose header lines (each ending in CRLF) are given as bytes, e.g. not UTF-8.</summary>
    public MultipartBodyBuilder AddPart(byte[] headers, byte[] content)
    {
        Write($"--{Boundary}\r\n");
        _body.Write(headers);
        Write("\r\n");
        _body.Write(content);
        Write("\r\n");
        return this;
    }

    /// <summary>Appends raw text.</summary>
    public MultipartBodyBuilder AddRaw(string text)
    {
        Write(text);
        return this;
    }

    /// <summary>The body with its closing delimiter.</summary>
    public byte[] Build()
    {
        var copy = new MemoryStream();
        _body.Position = 0;
        _body.CopyTo(copy);
        copy.Write(Encoding.ASCII.GetBytes($"--{Boundary}--\r\n"));
        return copy.ToArray();
    }

    /// <summary>The body without its closing delimiter (truncated).</summary>
    public byte[] BuildWithoutClose() => _body.ToArray();

    private void Write(string text) => _body.Write(Encoding.UTF8.GetBytes(text));
}
