namespace UploadKit.Tests.Storage;

public class FileStorageNamesTests
{
    [TestCase("../etc/passwd")]
    [TestCase("/etc/passwd")]
    [TestCase("C:/windows")]
    [TestCase("a/../../b")]
    [TestCase("a\\b")]
    [TestCase("a\0b")]
    [TestCase("")]
    public void Validate_EscapingName_Throws(string name) =>
        Assert.Throws<SuspiciousFileNameException>(() => FileStorageNames.Validate(name));

    [Test]
    public void GetAlternateName_KeepsFolderAndExtension()
    {
        var name = FileStorageNames.GetAlternateName("tracks/song.mp3");
        Assert.That(name, Does.Match("^tracks/song_[A-Za-z0-9]{7}\\.mp3$"));
    }

    [Test]
    public void GetValidName_RemovesUnsafeCharacters() =>
        Assert.That(FileStorageNames.GetValidName("john's portrait in 2004.jpg"), Is.EqualTo("johns_portrait_in_2004.jpg"));

    [TestCase("()")]
    [TestCase("   ")]
    [TestCase("'!'")]
    [TestCase("..")]
    [TestCase("(.)")]
    public void GetValidName_NothingToDerive_Throws(string name) =>
        Assert.Throws<SuspiciousFileNameException>(() => FileStorageNames.GetValidName(name));

    [TestCase(".uploadkit-x.txt", "_.uploadkit-x.txt")]
    [TestCase(".UploadKit", "_.UploadKit")]
    [TestCase("(.uploadkit)", "_.uploadkit")]
    public void GetValidName_ReservedPrefix_IsMadeValid(string name, string expected)
    {
        var valid = FileStorageNames.GetValidName(name);

        Assert.That(valid, Is.EqualTo(expected));
        Assert.That(FileStorageNames.Validate(valid), Is.EqualTo(expected));
    }

    [Test]
    public void GetValidName_DecomposedAccent_IsOneComposedLetter()
    {
        var decomposed = "cafe\u0301.txt";

        Assert.That(FileStorageNames.GetValidName(decomposed), Is.EqualTo("caf\u00e9.txt"));
        Assert.That(FileStorageNames.GetValidName("caf\u00e9.txt"), Is.EqualTo("caf\u00e9.txt"));
    }

    [Test]
    public void GetValidName_LoneSurrogate_IsDroppedAndLettersBeyondTheBmpKept()
    {
        Assert.That(FileStorageNames.GetValidName("a\uD800b.txt"), Is.EqualTo("ab.txt"));
        Assert.That(FileStorageNames.GetValidName("\U0001D49C.txt"), Is.EqualTo("\U0001D49C.txt"), "MATHEMATICAL SCRIPT CAPITAL A is a letter");
    }

    [Test]
    public void Validate_LoneSurrogate_Throws()
    {
        // Not as test-case arguments: attribute strings are stored as UTF-8, which turns a lone surrogate into U+FFFD.
        foreach (var name in new[] { "a\uD800.txt", "a\uDC00b", "dir\uD83D/x", "\uDE00" })
        {
            Assert.Throws<SuspiciousFileNameException>(() => FileStorageNames.Validate(name), name);
        }
    }

    [Test]
    public void Validate_SurrogatePair_IsKept() =>
        Assert.That(FileStorageNames.Validate("\U0001F600.txt"), Is.EqualTo("\U0001F600.txt"));

    [Test]
    public void GetValidName_LongName_StaysValidForStorages()
    {
        var valid = FileStorageNames.GetValidName(".uploadkit" + new string('a', 300) + ".txt");

        Assert.That(System.Text.Encoding.UTF8.GetByteCount(valid), Is.LessThanOrEqualTo(FileStorageNames.MaxSegmentLength));
        Assert.That(valid, Does.StartWith("_.uploadkit").And.EndWith(".txt"));
    }
}
