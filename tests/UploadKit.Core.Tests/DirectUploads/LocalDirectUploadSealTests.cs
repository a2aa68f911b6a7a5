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
    private string? _directory;

    [SetUp]
    public async Task SetUp()
    {
        _directory = Path.Combine(Path.GetTempPath(), "uploadkit-seal-" + Guid.NewGuid().ToString("N"));
        var location = _directory;
        _scenarios = await DirectUploadScenarios.StartAsync(
            "files",
            _ => backend == "FileSystem" ? new FileSystemStorage(new FileSystemStorageOptions { Location = location }) : new InMemoryStorage());
    }

    [TearDown]
    public async Task TearDown()
    {
        await _scenarios.DisposeAsync();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
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
