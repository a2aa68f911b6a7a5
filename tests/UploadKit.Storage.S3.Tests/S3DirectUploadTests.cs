using UploadKit.Testing;

namespace UploadKit.Storage.S3.Tests;

/// <summary>The direct-upload cycle against s3rver: presigned PUT and POST, completion checks and the sweep.</summary>
[TestFixture]
[Category("Integration")]
public sealed class S3DirectUploadTests
{
    private DirectUploadScenarios _scenarios = null!;

    [SetUp]
    public async Task SetUp()
    {
        S3rverFixture.RequireServer();
        var storage = S3rverFixture.CreateStorage();
        _scenarios = await DirectUploadScenarios.StartAsync(S3rverFixture.StorageName, _ => storage);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_scenarios is not null)
        {
            await _scenarios.DisposeAsync();
        }
    }

    [Test]
    public Task DirectUpload_PresignedPut_CompletesWithSameBytes() => _scenarios.FullCycleAsync();

    [Test]
    public Task DirectUpload_PresignedPostForm_CompletesWithSameBytes() => _scenarios.FullCycleAsync(PresignedUploadMethod.Post);

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
