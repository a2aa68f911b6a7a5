using UploadKit.Stores;

namespace UploadKit.Tests.DirectUploads;

/// <summary>The sealed key of a session, and the comparison of a sealed copy with the object that was verified.</summary>
public sealed class DirectUploadSealingTests
{
    private static readonly StoredFileInfo Verified = new("uploads/abc/song.mp3", 100)
    {
        Checksums = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["md5"] = "aa11", ["crc32c"] = "bb22" },
    };

    [TestCase("uploads/abc/song.mp3", "uploads/abc/sealed/song.mp3")]
    [TestCase("a/b/c/abc/song.mp3", "a/b/c/abc/sealed/song.mp3")]
    [TestCase("song.mp3", "sealed/song.mp3")]
    public void GetSealedName_InsertsSealedBeforeTheFileName(string objectName, string expected) =>
        Assert.That(DirectUploadSealing.GetSealedName(new UploadSession("id", "s3", objectName, DateTimeOffset.UtcNow)), Is.EqualTo(expected));

    [Test]
    public void CheckCopy_SameLengthAndChecksums_Matches()
    {
        var copy = new StoredFileInfo("uploads/abc/sealed/song.mp3", 100)
        {
            // A checksum the store reports on one side only is not compared; case of hexadecimal does not matter.
            Checksums = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["md5"] = "AA11", ["sha1"] = "cc33" },
        };
        Assert.That(DirectUploadSealing.CheckCopy(Verified, copy, sha256: "dd44"), Is.Null);
    }

    [Test]
    public void CheckCopy_OtherLength_Mismatch() =>
        Assert.That(DirectUploadSealing.CheckCopy(Verified, new StoredFileInfo("x", 99), null), Does.Contain("99 bytes"));

    [Test]
    public void CheckCopy_OtherStoreChecksum_Mismatch()
    {
        var copy = new StoredFileInfo("x", 100) { Checksums = new Dictionary<string, string> { ["crc32c"] = "bb23" } };
        Assert.That(DirectUploadSealing.CheckCopy(Verified, copy, null), Does.Contain("crc32c"));
    }

    [Test]
    public void CheckCopy_OtherSha256ThanTheBytesHad_Mismatch()
    {
        var copy = new StoredFileInfo("x", 100) { Checksums = new Dictionary<string, string> { ["sha256"] = "ee55" } };
        Assert.That(DirectUploadSealing.CheckCopy(Verified, copy, sha256: "dd44"), Does.Contain("SHA-256"));
    }
}
