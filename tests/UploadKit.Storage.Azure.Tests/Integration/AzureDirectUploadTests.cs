using Microsoft.Extensions.DependencyInjection;
using UploadKit.Storage.Azure.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.Azure.Tests.Integration;

/// <summary>The direct-upload cycle against Azurite: SAS PUT, completion checks and the sweep.</summary>
[TestFixture]
[Category("Integration")]
public sealed class AzureDirectUploadTests
{
    private DirectUploadScenarios _scenarios = null!;
    private string? _container;

    [SetUp]
    public async Task SetUp()
    {
        AzuriteServer.Require();
        var container = AzuriteServer.NewContainerName();
        await AzuriteServer.ServiceClient().CreateBlobContainerAsync(container);
        _container = container;
        var options = AzureBlobStorageFactory.Bind("azure", AzuriteServer.StorageOptions(container));
        var storage = AzureBlobStorageFactory.Create("azure", options, new ServiceCollection().BuildServiceProvider());
        _scenarios = await DirectUploadScenarios.StartAsync("azure", _ => storage);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_scenarios is not null)
        {
            await _scenarios.DisposeAsync();
        }

        if (_container is not null)
        {
            await AzuriteServer.ServiceClient().DeleteBlobContainerAsync(_container);
        }
    }

    [Test]
    public Task DirectUpload_PresignedPut_CompletesWithSameBytes() => _scenarios.FullCycleAsync();

    [Test]
    public void DirectUpload_PostForm_NotSupported() =>
        Assert.ThrowsAsync<NotSupportedException>(() => _scenarios.Uploads.BeginAsync(
            "azure", new("a.png", "image/png", maxLength: 10) { Method = PresignedUploadMethod.Post }));

    [Test]
    public Task DirectUpload_SasReusedAfterCompletionCancellationOrRejection_BoundObjectKeptAndRestSwept() => _scenarios.SealedAgainstReuseAsync();

    [Test]
    public Task DirectUpload_BoundObjectDeletedByTheApp_SasCannotRecreateIt() => _scenarios.DeletedAfterCompletionStaysDeletedAsync();

    [Test]
    public Task DirectUpload_OverMaximum_RejectedAndDeleted() => _scenarios.WrongSizeAsync();

    [Test]
    public Task DirectUpload_SpoofedMagicBytes_RejectedAndDeleted() => _scenarios.SpoofedMagicBytesAsync();

    [Test]
    public Task DirectUpload_OtherContentType_RefusedOrRejected() => _scenarios.WrongTypeAsync();

    [Test]
    public Task DirectUpload_NeverCompleted_SweptAfterExpiry() => _scenarios.ExpiredIsSweptAsync();
}
