using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Handlers;

public class ChecksumUploadHandlerTests
{
    [TestCase("123456789", 0xE3069283u)]
    [TestCase("", 0x00000000u)]
    [TestCase("a", 0xC1D04330u)]
    [TestCase("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void Crc32C_KnownVectors_Match(string input, uint expected) =>
        Assert.That(Crc32Castagnoli.Compute(Encoding.ASCII.GetBytes(input)), Is.EqualTo(expected));

    [Test]
    public void Crc32C_Rfc3720Vectors_Match()
    {
        Assert.That(Crc32Castagnoli.Compute(new byte[32]), Is.EqualTo(0x8A9136AAu));
        Assert.That(Crc32Castagnoli.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()), Is.EqualTo(0x62A8AB43u));
        Assert.That(Crc32Castagnoli.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()), Is.EqualTo(0x46DD794Eu));
        Assert.That(Crc32Castagnoli.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()), Is.EqualTo(0x113FDB5Cu));
    }

    [Test]
    public void Crc32C_AppendedInPieces_EqualsOneShot()
    {
        var data = RandomBytes(10_007);
        var expected = Crc32Castagnoli.Compute(data);
        foreach (var piece in new[] { 1, 3, 7, 8, 9, 64, 4096 })
        {
            var crc = new Crc32Castagnoli();
            for (var i = 0; i < data.Length; i += piece)
            {
                crc.Append(data.AsSpan(i, Math.Min(piece, data.Length - i)));
            }

            Assert.That(crc.GetCurrentValue(), Is.EqualTo(expected), $"pieces of {piece}");
        }
    }

    [Test]
    public async Task FileCompleteAsync_StreamedInChunks_RecordsAllDigests()
    {
        var handler = new ChecksumUploadHandler(ChecksumUploadHandler.Sha256, ChecksumUploadHandler.Md5, ChecksumUploadHandler.Crc32C);
        var context = Attach(handlers: handler);
        var content = RandomBytes(100_001);
        var result = await StreamAsync(handler, Header(), content, 4093);

        Assert.That(result, Is.Null, "the handler computes, it does not keep files");
        Assert.That(context.CurrentFileChecksums["sha256"], Is.EqualTo(Sha256Hex(content)));
        Assert.That(context.CurrentFileChecksums["md5"], Is.EqualTo(Convert.ToHexStringLower(MD5.HashData(content))));
        Assert.That(context.CurrentFileChecksums["crc32c"], Is.EqualTo(Crc32Castagnoli.Compute(content).ToString("x8")));
    }

    [Test]
    public async Task ReceiveChunkAsync_Always_PassesTheChunkOn()
    {
        var handler = new ChecksumUploadHandler();
        Attach(handlers: handler);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        var chunk = new byte[] { 1, 2, 3 };
        var passed = await handler.ReceiveChunkAsync(chunk, 0, CancellationToken.None);
        Assert.That(passed!.Value.ToArray(), Is.EqualTo(chunk));
    }

    [TestCase("Content-Digest")]
    [TestCase("Repr-Digest")]
    public async Task FileCompleteAsync_MatchingClientDigest_Passes(string headerName)
    {
        var content = RandomBytes(5000);
        var handler = new ChecksumUploadHandler();
        var context = Attach(handlers: handler);
        var headers = new HeaderDictionary { [headerName] = $"sha-512=:AAAA:, sha-256=:{Convert.ToBase64String(SHA256.HashData(content))}:" };
        await StreamAsync(handler, Header(headers: headers), content, 1000);
        Assert.That(context.CurrentFileChecksums["sha256"], Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task FileCompleteAsync_ClientSendsMd5_ComputesAndChecksIt()
    {
        var content = RandomBytes(5000);
        var handler = new ChecksumUploadHandler();
        var context = Attach(handlers: handler);
        var headers = new HeaderDictionary { ["Content-Digest"] = $"md5=:{Convert.ToBase64String(MD5.HashData(content))}:" };
        await StreamAsync(handler, Header(headers: headers), content, 1000);
        Assert.That(context.CurrentFileChecksums["md5"], Is.EqualTo(Convert.ToHexStringLower(MD5.HashData(content))));
    }

    [Test]
    public void FileCompleteAsync_MismatchingDigest_Rejects400OnTheField()
    {
        var content = RandomBytes(5000);
        var handler = new ChecksumUploadHandler();
        var context = Attach(handlers: handler);
        var headers = new HeaderDictionary { ["Content-Digest"] = $"sha-256=:{Convert.ToBase64String(SHA256.HashData([1, 2, 3]))}:" };
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => StreamAsync(handler, Header(field: "track", headers: headers), content, 1000));
        Assert.That(ex!.StatusCode, Is.EqualTo(400));
        Assert.That(ex.Title, Is.EqualTo("One or more validation errors occurred."));
        Assert.That(ex.Errors!["track"], Has.Length.EqualTo(1).And.Some.Contains("SHA-256"));
        Assert.That(context.CurrentFileChecksums, Is.Empty);
    }

    [TestCase("sha-256=abc")]
    [TestCase("sha-256=:not base64!:")]
    [TestCase("=:AAAA:")]
    public void NewFileAsync_MalformedDigest_Rejects400(string value)
    {
        var handler = new ChecksumUploadHandler();
        Attach(handlers: handler);
        var headers = new HeaderDictionary { ["Content-Digest"] = value };
        var ex = Assert.ThrowsAsync<UploadRejectedException>(async () => await handler.NewFileAsync(
            Header(headers: headers), CancellationToken.None));
        Assert.That(ex!.StatusCode, Is.EqualTo(400));
        Assert.That(ex.Errors!.Keys, Is.EquivalentTo(new[] { "file" }));
    }

    [Test]
    public void Ctor_UnknownAlgorithm_Throws() =>
        Assert.Throws<ArgumentException>(() => new ChecksumUploadHandler("sha1"));

    [Test]
    public void TryParseDigests_Rfc9530Example_ParsesSha256AndSkipsUnknown()
    {
        var digests = new Dictionary<string, byte[]>();
        var ok = ChecksumUploadHandler.TryParseDigests(
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, unixsum=:MzAyMTA=:;param=1", digests);
        Assert.That(ok, Is.True);
        Assert.That(digests.Keys, Is.EquivalentTo(new[] { "sha256" }));
        Assert.That(digests["sha256"], Is.EqualTo(SHA256.HashData("{\"hello\": \"world\"}"u8.ToArray())));
    }
}
