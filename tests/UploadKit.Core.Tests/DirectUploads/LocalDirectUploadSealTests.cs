using UploadKit.Testing;

namespace UploadKit.Tests.DirectUploads;

/// <summary>
/// The direct-upload cycle on the local storages, through the app's signed PUT endpoint: the same scenarios the
/// object stores pass, sealing by a rename (FileSystem) or a shared-bytes copy (InMemory).
/// </summary>
[TestFixture("FileSystem")]
[TestFixture("InMemory")]
public sealed class LocalDirectUploadSealTests(string backend)
{
    private DirectUploadScenarios _scenarios = null!;
    private TempDirectory? _directory;

    [SetUp]
    public async Task SetUp()
    {
        _directory = new TempDirectory("uploadkit-seal-");
        var location = _directory.Path;
        _scenarios = await DirectUploadScenarios.StartAsync(
            "files",
            _ => backend == "FileSystem" ? new FileSystemStorage(new FileSystemStorageOptions { Location = location }) : new InMemoryStorage());
    }

    [TearDown]
    public async Task TearDown()
    {
        await _scenarios.DisposeAsync();
        _directory?.Dispose();
    }

    [Test]
    public Task DirectUpload_SignedPut_CompletesSealedWithSameBytes() => _scenarios.FullCycleAsync();

    [Test]
    public Task DirectUpload_UrlReusedAfterCompletionCancellationOrRejection_BoundObjectKeptAndRestSwept() => _scenarios.SealedAgainstReuseAsync();

    [Test]
    public Task DirectUpload_BoundObjectDeletedByTheApp_UrlCannotRecreateIt() => _scenarios.DeletedAfterCompletionStaysDeletedAsync();

    [Test]
    public Task DirectUpload_NeverCompleted_SweptAfterExpiry() => _scenarios.ExpiredIsSweptAsync();
}
