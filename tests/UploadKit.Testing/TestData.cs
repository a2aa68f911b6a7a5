using System.Security.Cryptography;

namespace UploadKit.Testing;

/// <summary>The bytes tests upload and the hashes they compare them by.</summary>
public static class TestData
{
    /// <summary>
    /// <paramref name="length"/> pseudo-random bytes, the same for the same <paramref name="seed"/>, so a failure
    /// repeats with the same content.
    /// </summary>
    /// <param name="length">How many bytes.</param>
    /// <param name="seed">The seed of the generator.</param>
    /// <returns>The bytes.</returns>
    public static byte[] RandomBytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The SHA-256 of <paramref name="bytes"/> as lower-case hex, the form the checksums use.</summary>
    /// <param name="bytes">The content.</param>
    /// <returns>64 lower-case hex digits.</returns>
    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The SHA-256 of what is left to read in <paramref name="stream"/>, as lower-case hex.</summary>
    /// <param name="stream">The content; read to its end and left open.</param>
    /// <returns>64 lower-case hex digits.</returns>
    public static async Task<string> Sha256HexAsync(Stream stream) =>
        Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));

    /// <summary>The SHA-256 of a stored file, read back through the storage, as lower-case hex.</summary>
    /// <param name="storage">The storage holding the file.</param>
    /// <param name="name">The file's stored name.</param>
    /// <returns>64 lower-case hex digits.</returns>
    public static async Task<string> StoredSha256HexAsync(IFileStorage storage, string name)
    {
        ArgumentNullException.ThrowIfNull(storage);
        await using var stream = await storage.OpenReadAsync(name);
        return await Sha256HexAsync(stream);
    }
}
