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
}
