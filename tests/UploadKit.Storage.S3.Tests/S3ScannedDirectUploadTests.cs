using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Storage.S3.Tests;

/// <summary>A direct upload to s3rver, scanned by a real clamd when it is completed, before it binds.</summary>
[TestFixture]
[Category("Integration")]
public sealed class S3ScannedDirectUploadTests
{
    [Test]
    public async Task DirectUpload_EicarPutToS3_IsRejectedAtCompletion_QuarantinedAndDeletedFromTheBucket()
    {
        S3rverFixture.RequireServer();
        if (ClamdServer.Program is null)
        {
            TestEnvironment.Unavailable("clamd is not installed; run eng/install-prerequisites.sh (as root) to install Debian's clamav-daemon.");
        }

        await using var clamd = await ClamdServer.StartAsync();
        var storage = S3rverFixture.CreateStorage();
        var quarantine = new InMemoryStorage();
        await using var app = await TestApp.StartAsync(
            services => services.AddUploadKit()
                .AddStorage(S3rverFixture.StorageName, _ => storage)
                .AddStorage(FileStorageNames.Default, _ => new InMemoryStorage())
                .AddStorage(ScanningOptions.DefaultQuarantineStorage, _ => quarantine)
                .AddClamAvScanning(clamd.Endpoint),
            _ => { });
        var uploads = app.Services.GetRequiredService<IDirectUploads>();
        using var client = new HttpClient();

        var infected = await uploads.BeginAsync(S3rverFixture.StorageName, new DirectUploadRequest("eicar.txt", "text/plain"), "alice");
        using (var sent = await DirectUploadClient.SendAsync(client, infected, [.. RandomBytes(70_000), .. TestSignatures.Eicar]))
        {
            Assert.That(sent.IsSuccessStatusCode, Is.True, await sent.Content.ReadAsStringAsync());
        }

        var refusal = Assert.ThrowsAsync<UploadRejectedException>(() => uploads.CompleteAsync(infected.Id, "alice"));

        Assert.That(refusal!.StatusCode, Is.EqualTo(400));
        Assert.That(refusal.Errors!["file"][0], Does.Contain(TestSignatures.EicarBodyName));
        Assert.That(await storage.ExistsAsync(infected.ObjectName), Is.False, "the uploaded object was deleted from the bucket");
        var left = new List<string>();
        await foreach (var info in storage.ListAsync(infected.ObjectName[..infected.ObjectName.LastIndexOf('/')]))
        {
            left.Add(info.Name);
        }

        Assert.That(left, Is.Empty, "no sealed copy either");
        var quarantined = new List<StoredFileInfo>();
        await foreach (var info in quarantine.ListAsync())
        {
            quarantined.Add(info);
        }

        Assert.That(quarantined, Has.Count.EqualTo(1));
        var metadata = (await quarantine.GetMetadataAsync(quarantined[0].Name))!.Metadata;
        Assert.That(metadata["owner"], Is.EqualTo("alice"));
        Assert.That(metadata["scan-signature"], Does.StartWith(TestSignatures.EicarBodyName));

        var clean = await uploads.BeginAsync(S3rverFixture.StorageName, new DirectUploadRequest("clean.txt", "text/plain"));
        using (var sent = await DirectUploadClient.SendAsync(client, clean, RandomBytes(70_000)))
        {
            Assert.That(sent.IsSuccessStatusCode, Is.True);
        }

        var bound = await uploads.CompleteAsync(clean.Id);
        Assert.That(await storage.ExistsAsync(bound.Name), Is.True);
        Assert.That((await uploads.GetAsync(clean.Id))!.ScanVerdict, Is.EqualTo("clean"));
    }
}
