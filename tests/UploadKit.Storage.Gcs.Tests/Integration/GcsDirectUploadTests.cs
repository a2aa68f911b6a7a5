using UploadKit.Testing;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>The direct-upload cycle against the in-process GCS server: V4 signed PUT and POST policy, completion checks and the sweep.</summary>
[TestFixture]
public sealed class GcsDirectUploadTests : GcsIntegrationTest
{
    private DirectUploadScenarios _scenarios = null!;
    private GcsStorage? _storage;

    [SetUp]
    public async Task SetUp()
    {
        _storage = Storage();
        var storage = _storage;
        _scenarios = await DirectUploadScenarios.StartAsync("gcs", _ => storage);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_scenarios is not null)
        {
            await _scenarios.DisposeAsync();
        }

        _storage?.Dispose();
    }

    [Test]
    public Task DirectUpload_SignedPut_CompletesWithSameBytes() => _scenarios.FullCycleAsync();

    [Test]
    public Task DirectUpload_SignedPostPolicy_CompletesWithSameBytes() => _scenarios.FullCycleAsync(PresignedUploadMethod.Post);

    [Test]
    public Task DirectUpload_UrlReusedAfterCompletionCancellationOrRejection_BoundObjectKeptAndRestSwept() => _scenarios.SealedAgainstReuseAsync();

    [Test]
    public Task DirectUpload_BoundObjectDeletedByTheApp_UrlCannotRecreateIt() => _scenarios.DeletedAfterCompletionStaysDeletedAsync();

    [Test]
    public Task DirectUpload_OverMaximum_RejectedAndDeleted() => _scenarios.WrongSizeAsync();

    [Test]
    public Task DirectUpload_SpoofedMagicBytes_RejectedAndDeleted() => _scenarios.SpoofedMagicBytesAsync();

    [Test]
    public Task DirectUpload_OtherContentType_RefusedOrRejected() => _scenarios.WrongTypeAsync();

    [Test]
    public Task DirectUpload_NeverCompleted_SweptAfterExpiry() => _scenarios.ExpiredIsSweptAsync();
}
