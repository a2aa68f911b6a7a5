using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

/// <summary>
/// A storage never reaches outside its folder, whatever links the folder holds: every operation follows the links
/// of a name to its real path and refuses one that ends outside. The links here are real symbolic links.
/// </summary>
public class FileSystemStorageLinkTests : TempDirectoryTests
{
    private string _media = null!;
    private string _outside = null!;
    private string _secret = null!;

    [SetUp]
    public void SetUp()
    {
        _media = Path.Combine(Temp, "media");
        _outside = Path.Combine(Temp, "outside");
        Directory.CreateDirectory(_media);
        Directory.CreateDirectory(_outside);
        _secret = Path.Combine(_outside, "secret.txt");
        File.WriteAllText(_secret, "secret");

        // media/link -> ../outside, media/secret-link.txt -> ../outside/secret.txt
        Directory.CreateSymbolicLink(Path.Combine(_media, "link"), _outside);
        File.CreateSymbolicLink(Path.Combine(_media, "secret-link.txt"), Path.Combine("..", "outside", "secret.txt"));
    }

    private FileSystemStorage Storage() => new(new FileSystemStorageOptions { Location = _media });

    private string[] OutsideFiles() => Directory.GetFiles(_outside).Select(Path.GetFileName).ToArray()!;

    [TestCase("link/secret.txt")]
    [TestCase("secret-link.txt")]
    public void ReadingThroughALinkOut_IsRefused(string name)
    {
        var storage = Storage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.OpenReadAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.GetMetadataAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.ExistsAsync(name));
    }

    [TestCase("link/secret.txt")]
    [TestCase("secret-link.txt")]
    public void DeletingThroughALinkOut_IsRefusedAndTheOutsideFileStays(string name)
    {
        var storage = Storage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.DeleteAsync(name));
        Assert.That(File.ReadAllText(_secret), Is.EqualTo("secret"));
    }

    [TestCase("link/new.txt")]
    [TestCase("link/secret.txt")]
    [TestCase("link/deeper/new.txt")]
    public void SavingThroughALinkOut_IsRefusedAndWritesNothingOutside(string name)
    {
        var storage = Storage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync(name, new MemoryStream([1, 2, 3])));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync(
            name, new MemoryStream([1, 2, 3]), new FileSaveOptions { Overwrite = true }));
        Assert.That(OutsideFiles(), Is.EqualTo(new[] { "secret.txt" }));
        Assert.That(Directory.Exists(Path.Combine(_outside, "deeper")), Is.False);
        Assert.That(File.ReadAllText(_secret), Is.EqualTo("secret"));
    }

    [Test]
    public void ADanglingLinkOut_IsRefusedForSaves()
    {
        File.CreateSymbolicLink(Path.Combine(_media, "dangling.txt"), Path.Combine(_outside, "created.txt"));
        var storage = Storage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync(
            "dangling.txt", new MemoryStream([1]), new FileSaveOptions { Overwrite = true }));
        Assert.That(File.Exists(Path.Combine(_outside, "created.txt")), Is.False);
    }

    [Test]
    public void ALinkIntoTheReservedFolder_IsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_media, ".uploadkit", "meta"));
        File.WriteAllText(Path.Combine(_media, ".uploadkit", "meta", "x.json"), "{}");
        Directory.CreateSymbolicLink(Path.Combine(_media, "meta"), Path.Combine(_media, ".uploadkit", "meta"));

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage().OpenReadAsync("meta/x.json"));
    }

    [Test]
    public async Task LinksThatStayInside_AreFollowed_AndDeleteRemovesTheLinkNotItsTarget()
    {
        var storage = Storage();
        var name = await storage.SaveAsync("real/song.mp3", new MemoryStream([1, 2, 3]));
        Directory.CreateSymbolicLink(Path.Combine(_media, "alias"), Path.Combine(_media, "real"));
        File.CreateSymbolicLink(Path.Combine(_media, "song-link.mp3"), Path.Combine("real", "song.mp3"));

        Assert.That(await StoredSha256HexAsync(storage, "alias/song.mp3"), Is.EqualTo(Sha256Hex([1, 2, 3])));
        Assert.That(await StoredSha256HexAsync(storage, "song-link.mp3"), Is.EqualTo(Sha256Hex([1, 2, 3])));
        Assert.That(await storage.DeleteAsync("song-link.mp3"), Is.True);
        Assert.That(File.Exists(Path.Combine(_media, "song-link.mp3")), Is.False);
        Assert.That(await storage.ExistsAsync(name), Is.True, "the link went, not the file it pointed at");
    }

    [Test]
    public async Task ListAsync_LoopingAndOutsideLinks_ListsEveryInsideFileOnceAndEnds()
    {
        var storage = Storage();
        await storage.SaveAsync("a/one.txt", new MemoryStream([1]));
        await storage.SaveAsync("b/two.txt", new MemoryStream([2]));

        // Two links pointing at each other, a link back to the root, and a folder link to a sibling folder.
        File.CreateSymbolicLink(Path.Combine(_media, "loop1"), Path.Combine(_media, "loop2"));
        File.CreateSymbolicLink(Path.Combine(_media, "loop2"), Path.Combine(_media, "loop1"));
        Directory.CreateSymbolicLink(Path.Combine(_media, "a", "up"), _media);
        Directory.CreateSymbolicLink(Path.Combine(_media, "b", "alias"), Path.Combine(_media, "a"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var names = new List<string>();
        await foreach (var file in storage.ListAsync(cancellationToken: timeout.Token))
        {
            names.Add(file.Name);
        }

        Assert.That(names, Does.Contain("a/one.txt").And.Contain("b/two.txt"));
        Assert.That(names.Count(n => n.EndsWith("one.txt", StringComparison.Ordinal)), Is.EqualTo(1), "each real folder is listed once");
        Assert.That(names.Any(n => n.Contains("secret", StringComparison.Ordinal)), Is.False, "no link is followed out of the folder");
        Assert.That(names.Any(n => n.StartsWith("loop", StringComparison.Ordinal)), Is.False);
        Assert.That(timeout.IsCancellationRequested, Is.False);
    }

    [Test]
    public void LinksPointingAtEachOther_AreRefusedWithoutNamingServerPaths()
    {
        File.CreateSymbolicLink(Path.Combine(_media, "loop1"), Path.Combine(_media, "loop2"));
        File.CreateSymbolicLink(Path.Combine(_media, "loop2"), Path.Combine(_media, "loop1"));
        var storage = Storage();

        var read = Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.OpenReadAsync("loop1"));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync("loop1/x.txt", new MemoryStream([1])));
        Assert.That(read!.Message, Does.Not.Contain(Temp));
    }

    [Test]
    public void ListAsync_PrefixThroughALinkOut_IsRefused() =>
        Assert.ThrowsAsync<SuspiciousFileNameException>(async () =>
        {
            await foreach (var unused in Storage().ListAsync("link/"))
            {
            }
        });

    [Test]
    public async Task ListAsync_Cancelled_Stops()
    {
        var storage = Storage();
        for (var i = 0; i < 20; i++)
        {
            await storage.SaveAsync($"d{i}/f.txt", new MemoryStream([1]));
        }

        using var cancel = new CancellationTokenSource();
        var listed = 0;
        Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in storage.ListAsync(cancellationToken: cancel.Token))
            {
                listed++;
                await cancel.CancelAsync();
            }
        });
        Assert.That(listed, Is.EqualTo(1));
    }

    [Test]
    public void SaveAsync_LoneSurrogate_IsRefusedAndStoresNothing()
    {
        var storage = Storage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync("a\uD800.txt", new MemoryStream([1])));
        Assert.That(AllFiles(_media).Where(f => !f.Contains("link", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_CaseAndNormalisationVariants_NeverReplaceEachOther()
    {
        var storage = Storage();
        var names = new[] { "Song.mp3", "song.mp3", "caf\u00e9.txt", "cafe\u0301.txt" };
        var saved = new List<string>();
        for (var i = 0; i < names.Length; i++)
        {
            saved.Add(await storage.SaveAsync(names[i], new MemoryStream([(byte)i])));
        }

        // Names are used as given; whether variants are one file or two is the file system's answer, and a variant
        // that is the same file gets a fresh name instead of replacing it. Each returned name reads its own bytes.
        for (var i = 0; i < names.Length; i++)
        {
            Assert.That(await StoredSha256HexAsync(storage, saved[i]), Is.EqualTo(Sha256Hex([(byte)i])), saved[i]);
        }

        Assert.That(saved, Is.Unique);
    }

    [Test]
    [Category("Integration")]
    public async Task MapStorageFiles_LinkOut_Answers404OverHttp()
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddUploadKit().AddStorage("default", _ => Storage()),
            a => a.MapStorageFiles("/media"),
            kestrel: true);
        await Storage().SaveAsync("inside.txt", new MemoryStream("inside"u8.ToArray()));

        using var inside = await app.Client.GetAsync("/media/inside.txt");
        using var throughFolder = await app.Client.GetAsync("/media/link/secret.txt");
        using var throughFile = await app.Client.GetAsync("/media/secret-link.txt");

        Assert.That(inside.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(throughFolder.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(throughFile.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await throughFolder.Content.ReadAsStringAsync(), Does.Not.Contain("secret"));
    }
}
