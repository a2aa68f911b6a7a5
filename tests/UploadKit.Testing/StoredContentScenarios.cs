using System.Text;

namespace UploadKit.Testing;

/// <summary>The headers an object was stored with, as the store reports them.</summary>
/// <param name="Name">The object's name in its storage.</param>
/// <param name="ContentType">The stored <c>Content-Type</c>.</param>
/// <param name="ContentDisposition">The stored <c>Content-Disposition</c>, if any.</param>
public sealed record StoredHeaders(string Name, string? ContentType, string? ContentDisposition);

/// <summary>What a storage stored for the uploads of <see cref="StoredContentScenarios.RunAsync"/>.</summary>
/// <param name="HtmlDeclaredNamedMp3">A script page in a part declared <c>text/html</c> but named <c>x.mp3</c>.</param>
/// <param name="Html">An upload named <c>page.html</c>.</param>
/// <param name="Svg">An upload named <c>logo.svg</c>.</param>
/// <param name="HtmlInlineOptIn">An HTML file the app saved with <c>Content-Disposition: inline</c>.</param>
public sealed record StoredContentOutcome(StoredHeaders HtmlDeclaredNamedMp3, StoredHeaders Html, StoredHeaders Svg, StoredHeaders HtmlInlineOptIn);

/// <summary>
/// The uploads every storage must store safely: the content type comes from the stored name, not the client, and
/// active content is stored as an attachment unless the app asks otherwise. Each backend's tests assert the outcome
/// against the real store (or its emulator).
/// </summary>
public static class StoredContentScenarios
{
    /// <summary>A page with a script, the payload a client would hope to have served inline.</summary>
    public static readonly byte[] ScriptPage = Encoding.UTF8.GetBytes(
        "<!doctype html><html><body><script>alert(document.domain)</script></body></html>");

    private static readonly byte[] SvgImage = Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>");

    /// <summary>Saves the scenario's uploads into <paramref name="storage"/> under a fresh folder and reads back what was stored.</summary>
    /// <param name="storage">The storage under test.</param>
    /// <param name="readStored">Reads an object's stored headers from the store itself; <see langword="null"/> for
    /// <see cref="IFileStorage.GetMetadataAsync"/>.</param>
    /// <returns>What was stored.</returns>
    public static async Task<StoredContentOutcome> RunAsync(IFileStorage storage, Func<string, Task<StoredHeaders>>? readStored = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        readStored ??= async name =>
        {
            var info = await storage.GetMetadataAsync(name) ?? throw new InvalidOperationException($"'{name}' was not stored.");
            return new StoredHeaders(name, info.ContentType, info.ContentDisposition);
        };
        var folder = "content-" + Guid.NewGuid().ToString("N")[..12];
        var mp3 = await SaveUploadAsync(storage, "x.mp3", "text/html", ScriptPage, $"{folder}/x.mp3");
        var html = await SaveUploadAsync(storage, "page.html", "text/html", ScriptPage, $"{folder}/page.html");
        var svg = await SaveUploadAsync(storage, "logo.svg", "image/svg+xml", SvgImage, $"{folder}/logo.svg");
        var inline = await storage.SaveAsync(
            $"{folder}/inline.html", new MemoryStream(ScriptPage), new FileSaveOptions { ContentDisposition = "inline" });
        return new StoredContentOutcome(await readStored(mp3), await readStored(html), await readStored(svg), await readStored(inline));
    }

    /// <summary>Lists what the outcome breaks of the rule, one sentence each: empty when the storage stored everything safely.</summary>
    /// <param name="outcome">What <see cref="RunAsync"/> stored.</param>
    /// <returns>The violations.</returns>
    public static IReadOnlyList<string> Violations(StoredContentOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var violations = new List<string>();
        Expect(
            outcome.HtmlDeclaredNamedMp3,
            "audio/mpeg",
            null,
            "a part declared text/html named x.mp3 is stored as audio/mpeg, without a disposition",
            violations);
        Expect(outcome.Html, "text/html", "attachment", "an .html upload is stored as an attachment", violations);
        Expect(outcome.Svg, "image/svg+xml", "attachment", "an .svg upload is stored as an attachment", violations);
        Expect(outcome.HtmlInlineOptIn, "text/html", "inline", "an app that asks for inline gets it", violations);
        return violations;
    }

    private static void Expect(StoredHeaders stored, string contentType, string? disposition, string rule, List<string> violations)
    {
        var type = stored.ContentType?.Split(';')[0].Trim();
        var storedDisposition = string.IsNullOrEmpty(stored.ContentDisposition) ? null : stored.ContentDisposition.Split(';')[0].Trim();
        if (!string.Equals(type, contentType, StringComparison.OrdinalIgnoreCase) ||
            !string.Equals(storedDisposition, disposition, StringComparison.OrdinalIgnoreCase))
        {
            violations.Add($"{rule}: '{stored.Name}' was stored as '{stored.ContentType}' with disposition '{stored.ContentDisposition}'.");
        }
    }

    private static async Task<string> SaveUploadAsync(IFileStorage storage, string fileName, string declaredType, byte[] content, string name)
    {
        await using var file = new InMemoryUploadedFile(new UploadFileHeader("file", fileName, declaredType), content);
        return await file.SaveAsync(storage, name);
    }
}
